namespace SelfSup.Methods;

/// <summary>
/// Options common to every method; each method's record adds its own and has two presets: <c>Paper()</c> (the paper's
/// ImageNet recipe) and <c>Small()</c> (images of 64 px or less: CIFAR stem and the small-data choices of the official
/// CIFAR code). Change anything with <c>with { ... }</c>; the trainer fills in <see cref="Backbone"/> from the command line.
/// </summary>
public abstract record MethodOptions
{
    /// <summary>The encoder (NumClasses is ignored: the backbone ends at the pooled features).</summary>
    public BackboneOptions Backbone { get; init; } = new ResNet.Options(Depth: 18, NumClasses: 0);
    /// <summary>Embedding dimension the loss sees (128 in all four papers).</summary>
    public int Dim { get; init; } = 128;
    /// <summary>Optimiser, lr scaling and schedule the trainer builds.</summary>
    public abstract OptimizerDefaults DefaultOptimizer { get; init; }

    private protected static ResNet.Options SmallBackbone => new(Depth: 18, Stem: ResNetStem.Cifar, NumClasses: 0);
}

/// <summary>Instance discrimination (Wu et al. 2018). Defaults from the official lemniscate.pytorch code.</summary>
public sealed record InstDiscOptions : MethodOptions
{
    /// <summary>Noise samples K per positive (4096); 0 = the full non-parametric softmax over the whole bank (Eq. 2).</summary>
    public int NceK { get; init; } = 4096;
    /// <summary>τ (0.07 ImageNet, 0.1 CIFAR).</summary>
    public float Temperature { get; init; } = 0.07f;
    /// <summary>Memory-bank momentum m: v ← m·v + (1−m)·f (0.5).</summary>
    public float BankMomentum { get; init; } = 0.5f;
    /// <summary>λ of the proximal term λ‖f_i − v_i‖² (§3.3). Off by default, as in the official code (the paper tries 10–50).</summary>
    public float ProximalLambda { get; init; }

    public override OptimizerDefaults DefaultOptimizer { get; init; } =
        new(OptimizerKind.Sgd, 0.03f, LrScaling.None, 0.9f, 1e-4f, LrScheduleKind.Step, 0, [0.6f, 0.8f], 256, 200);

    public static InstDiscOptions Paper() => new();

    /// <summary>The official cifar.py: τ 0.1, batch 128, wd 5e-4, lr ×0.1 at epochs 120 and 160 of 200 (and at 80:
    /// its rule is 0.1^((epoch−80)//40) from epoch 80).</summary>
    public static InstDiscOptions Small() => new()
    {
        Backbone = SmallBackbone, Temperature = 0.1f,
        DefaultOptimizer = new(OptimizerKind.Sgd, 0.03f, LrScaling.None, 0.9f, 5e-4f, LrScheduleKind.Step, 0, [0.4f, 0.6f, 0.8f], 128, 200),
    };
}

/// <summary>MoCo v1 (He et al. 2020) and v2 (Chen et al. 2020). Defaults from facebookresearch/moco; the small preset
/// from its CIFAR-10 demo (K 4096, m 0.99, 8 BN splits, lr 0.06 at batch 512, wd 5e-4).</summary>
public sealed record MoCoOptions : MethodOptions
{
    /// <summary>v2's 2-layer MLP head instead of v1's Linear.</summary>
    public bool Mlp { get; init; }
    /// <summary>Queue size K (65536); must be divisible by the batch size.</summary>
    public int QueueSize { get; init; } = 65536;
    /// <summary>Key-encoder momentum m (0.999).</summary>
    public float Momentum { get; init; } = 0.999f;
    /// <summary>τ (v1 0.07, v2 0.2).</summary>
    public float Temperature { get; init; } = 0.07f;
    /// <summary>Simulated devices G for shuffling BN (<c>--bn-splits</c>, 8 as the official 8-GPU runs); 1 = plain BN.</summary>
    public int BnSplits { get; init; } = 8;

    public override OptimizerDefaults DefaultOptimizer { get; init; } =
        new(OptimizerKind.Sgd, 0.03f, LrScaling.Linear, 0.9f, 1e-4f, LrScheduleKind.Step, 0, [0.6f, 0.8f], 256, 200);

    /// <summary>v1: Linear head, τ 0.07, lr ×0.1 at epochs 120 and 160 of 200. v2: MLP head, τ 0.2, cosine lr.</summary>
    public static MoCoOptions Paper(bool v2) => v2
        ? new() { Mlp = true, Temperature = 0.2f, DefaultOptimizer = Cosine(1e-4f, 256) }
        : new();

    /// <summary>K 4096, m 0.99, wd 5e-4, batch 512; v2 τ 0.1 (the demo's), v1 keeps τ 0.07 and its step schedule.</summary>
    public static MoCoOptions Small(bool v2) => new()
    {
        Backbone = SmallBackbone, Mlp = v2, QueueSize = 4096, Momentum = 0.99f, Temperature = v2 ? 0.1f : 0.07f,
        DefaultOptimizer = v2 ? Cosine(5e-4f, 512)
            : new(OptimizerKind.Sgd, 0.03f, LrScaling.Linear, 0.9f, 5e-4f, LrScheduleKind.Step, 0, [0.6f, 0.8f], 512, 200),
    };

    static OptimizerDefaults Cosine(float wd, int batch) =>
        new(OptimizerKind.Sgd, 0.03f, LrScaling.Linear, 0.9f, wd, LrScheduleKind.Cosine, 0, [], batch, 200);
}

/// <summary>SimCLR (Chen et al. 2020). Defaults from google-research/simclr.</summary>
public sealed record SimClrOptions : MethodOptions
{
    /// <summary>τ (0.1 with large batches on ImageNet, 0.5 on CIFAR-10: appendix B.9).</summary>
    public float Temperature { get; init; } = 0.1f;
    /// <summary>Projection-head layers: 2 (SimCLR) or 3 (SimCLR v2).</summary>
    public int HeadLayers { get; init; } = 2;

    /// <summary>LARS, lr 0.3·B/256 (or 0.075·√B with <see cref="WithSqrtScaling"/>), wd 1e-6, 10-epoch warmup, cosine, batch 4096.</summary>
    public override OptimizerDefaults DefaultOptimizer { get; init; } =
        new(OptimizerKind.Lars, 0.3f, LrScaling.Linear, 0.9f, 1e-6f, LrScheduleKind.Cosine, 10, [], 4096, 100);

    public static SimClrOptions Paper() => new();

    /// <summary>The official CIFAR-10 command: τ 0.5, batch 512, lr 1.0·B/256, wd 1e-4, 1000 epochs.</summary>
    public static SimClrOptions Small() => new()
    {
        Backbone = SmallBackbone, Temperature = 0.5f,
        DefaultOptimizer = new(OptimizerKind.Lars, 1.0f, LrScaling.Linear, 0.9f, 1e-4f, LrScheduleKind.Cosine, 10, [], 512, 1000),
    };

    /// <summary>Square-root lr scaling (appendix B.1: lr = 0.075·√B), for small batches.</summary>
    public SimClrOptions WithSqrtScaling() => this with { DefaultOptimizer = DefaultOptimizer with { BaseLr = 0.075f, Scaling = LrScaling.Sqrt } };
}
