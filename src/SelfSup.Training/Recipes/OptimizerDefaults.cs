namespace SelfSup.Training;

/// <summary>Which optimiser the trainer builds for a method.</summary>
public enum OptimizerKind
{
    /// <summary>SGD with momentum (InstDisc, MoCo).</summary>
    Sgd,
    /// <summary>LARS (You et al. 2017) with biases and BN parameters excluded from adaptation and decay (SimCLR).</summary>
    Lars,
    /// <summary>AdamW (Loshchilov &amp; Hutter 2019), β = (<see cref="OptimizerDefaults.Momentum"/>, 0.999), decay on every
    /// parameter as torch.optim.AdamW over model.parameters() (MoCo v3's ViTs).</summary>
    AdamW,
}

/// <summary>How the learning rate follows the batch size B.</summary>
public enum LrScaling
{
    /// <summary>lr = BaseLr.</summary>
    None,
    /// <summary>lr = BaseLr·B/256 (Goyal et al. 2017).</summary>
    Linear,
    /// <summary>lr = BaseLr·√B (SimCLR appendix B.1: 0.075·√B, better for small batches and long training).</summary>
    Sqrt,
}

/// <summary>The learning-rate schedule over the run.</summary>
public enum LrScheduleKind
{
    /// <summary>Linear warmup, then half-cosine to 0 (SGDR, Loshchilov &amp; Hutter 2017).</summary>
    Cosine,
    /// <summary>×0.1 at each of <see cref="OptimizerDefaults.StepMilestones"/> (fractions of the run).</summary>
    Step,
}

/// <summary>
/// A method's default optimisation recipe, for the trainer to build (Methods never constructs optimisers). Written with
/// named arguments in each <see cref="MethodRecipe"/>.
/// </summary>
/// <param name="Kind">SGD, LARS or AdamW.</param>
/// <param name="BaseLr">Meaning depends on <paramref name="Scaling"/>; see <see cref="LrFor"/>.</param>
/// <param name="Scaling">Batch-size scaling of the lr.</param>
/// <param name="Momentum">SGD/LARS momentum, or AdamW's β₁ (its β₂ is torch's 0.999).</param>
/// <param name="WeightDecay">L2 weight decay.</param>
/// <param name="Schedule">Cosine or step.</param>
/// <param name="WarmupEpochs">Linear warmup length for the paper's run length; see <see cref="WarmupEpochsFor"/>.</param>
/// <param name="StepMilestones">For <see cref="LrScheduleKind.Step"/>: points, as fractions of the run, where the lr drops ×0.1.</param>
/// <param name="BatchSize">The batch size of the paper's (or small preset's) recipe.</param>
/// <param name="Epochs">Its number of epochs.</param>
/// <param name="BiasAndNormBaseLr">LARS only: the base lr of the second parameter group (biases and norm parameters)
/// where it differs from <paramref name="BaseLr"/> (Barlow Twins); its lr is the first group's × this / BaseLr, so the
/// schedule scales both. Null: both groups share the lr.</param>
public sealed record OptimizerDefaults(OptimizerKind Kind, float BaseLr, LrScaling Scaling, float Momentum, float WeightDecay,
    LrScheduleKind Schedule, int BatchSize, int Epochs, float WarmupEpochs = 0, float[]? StepMilestones = null,
    float? BiasAndNormBaseLr = null)
{
    /// <summary>For <see cref="LrScheduleKind.Step"/>: where the lr drops, as fractions of the run (empty otherwise).</summary>
    public float[] StepMilestones { get; init; } = StepMilestones ?? [];

    /// <summary>The second parameter group's lr as a multiple of the first's (1 unless <see cref="BiasAndNormBaseLr"/>).</summary>
    public float BiasAndNormLrScale => BiasAndNormBaseLr is float b ? b / BaseLr : 1f;

    /// <summary>The peak learning rate for batch size <paramref name="batchSize"/>.</summary>
    public float LrFor(int batchSize) => Scaling switch
    {
        LrScaling.Linear => BaseLr * batchSize / 256f,
        LrScaling.Sqrt => BaseLr * MathF.Sqrt(batchSize),
        _ => BaseLr,
    };

    /// <summary>Warmup for a run of <paramref name="epochs"/>: the recipe's warmup, but at most a tenth of the run
    /// (SimCLR's 10 epochs are a tenth of its shortest, 100-epoch, schedule) or the recipe's own fraction when that is
    /// larger (MoCo v3's ViTs warm up 40 of 300 epochs, 13%; every other recipe's fraction is a tenth or less).</summary>
    public float WarmupEpochsFor(int epochs) =>
        MathF.Min(WarmupEpochs, MathF.Max(epochs / 10f, Epochs > 0 ? WarmupEpochs * epochs / Epochs : 0f));

    public override string ToString() =>
        $"{Kind} lr {BaseLr}{Scaling switch { LrScaling.Linear => "×B/256", LrScaling.Sqrt => "×√B", _ => "" }} " +
        $"{(Kind == OptimizerKind.AdamW ? $"betas ({Momentum}, 0.999)" : $"momentum {Momentum}")} wd {WeightDecay}, " +
        $"{Schedule}{(Schedule == LrScheduleKind.Step ? " at " + string.Join("/", StepMilestones) + " of the run" : "")}" +
        $"{(WarmupEpochs > 0 ? $", {WarmupEpochs}-epoch warmup" : "")}, batch {BatchSize}, {Epochs} epochs";
}
