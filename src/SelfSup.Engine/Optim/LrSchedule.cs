namespace SelfSup.Engine.Optim;

/// <summary>
/// Learning rate as a function of the optimiser step (0-based, counted in iterations, not epochs).
/// The trainer sets <c>optimizer.Lr = schedule.At(step)</c> before each step.
/// </summary>
public abstract class LrSchedule
{
    public abstract float At(int step);
}

/// <summary>The same lr at every step.</summary>
public sealed class Constant(float lr) : LrSchedule
{
    public float Lr { get; } = lr;
    public override float At(int step) => Lr;
}

/// <summary>
/// Linear warmup then half-cosine decay (Goyal et al. 2017 warmup; Loshchilov &amp; Hutter 2017 SGDR
/// cosine without restarts), as SimCLR, BYOL, MoCo v3 use it per iteration:
/// for step &lt; W: lr = base·(s + (1 − s)·step/W), with start factor s (0: SimCLR, MoCo v3);
/// for W ≤ step ≤ T: lr = final + (base − final)·(1 + cos(π·(step − W)/(T − W)))/2; after T: final.
/// </summary>
public sealed class WarmupCosine : LrSchedule
{
    public WarmupCosine(float baseLr, int warmupSteps, int totalSteps, float finalLr = 0f, float warmupStartFactor = 0f)
    {
        if (warmupSteps < 0 || totalSteps < warmupSteps)
            throw new ArgumentException($"need 0 ≤ warmup steps ({warmupSteps}) ≤ total steps ({totalSteps})");
        if (warmupStartFactor is < 0 or > 1) throw new ArgumentException($"warmup start factor {warmupStartFactor} is outside [0, 1]");
        BaseLr = baseLr; WarmupSteps = warmupSteps; TotalSteps = totalSteps; FinalLr = finalLr; WarmupStartFactor = warmupStartFactor;
    }

    public float BaseLr { get; }
    public int WarmupSteps { get; }
    public int TotalSteps { get; }
    public float FinalLr { get; }
    public float WarmupStartFactor { get; }

    public override float At(int step)
    {
        if (step < WarmupSteps)
            return (float)(BaseLr * (WarmupStartFactor + (1.0 - WarmupStartFactor) * Math.Max(step, 0) / WarmupSteps));
        int decaySteps = TotalSteps - WarmupSteps;
        if (decaySteps == 0 || step >= TotalSteps) return step >= TotalSteps ? FinalLr : BaseLr;
        double progress = (double)(step - WarmupSteps) / decaySteps;
        return (float)(FinalLr + (BaseLr - FinalLr) * (1 + Math.Cos(Math.PI * progress)) / 2);
    }
}

/// <summary>
/// Multiply the lr by γ at each milestone (torch's MultiStepLR): lr = base·γ^(number of milestones ≤ step).
/// Used by InstDisc and MoCo v1 (×0.1 at epochs 120 and 160 of 200, given here in steps).
/// </summary>
public sealed class StepDecay : LrSchedule
{
    readonly int[] milestones;

    public StepDecay(float baseLr, IEnumerable<int> milestones, float gamma = 0.1f)
    {
        this.milestones = [.. milestones.Order()];
        BaseLr = baseLr; Gamma = gamma;
    }

    public float BaseLr { get; }
    public float Gamma { get; }
    public IReadOnlyList<int> Milestones => milestones;

    public override float At(int step)
    {
        int passed = 0;
        foreach (var m in milestones) if (step >= m) passed++;
        return (float)(BaseLr * Math.Pow(Gamma, passed));
    }
}

/// <summary>
/// The target-network momentum schedule of BYOL (Grill et al. 2020, §3.2) and MoCo v3:
/// τ(k) = 1 − (1 − τ_base)·(cos(π·k/K) + 1)/2, from τ_base at step 0 to 1 at step K (and 1 after).
/// </summary>
public sealed class CosineMomentum(float baseMomentum, int totalSteps)
{
    public float BaseMomentum { get; } = baseMomentum;
    public int TotalSteps { get; } = totalSteps > 0 ? totalSteps : throw new ArgumentException($"total steps {totalSteps} must be positive");

    public float At(int step)
    {
        double k = Math.Clamp(step, 0, TotalSteps);
        return (float)(1 - (1 - (double)BaseMomentum) * (Math.Cos(Math.PI * k / TotalSteps) + 1) / 2);
    }
}
