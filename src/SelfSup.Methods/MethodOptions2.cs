namespace SelfSup.Methods;

/// <summary>BYOL (Grill et al. 2020). Paper defaults from §3.2 and appendix C; the small preset is our choice (below).</summary>
public sealed record ByolOptions : MethodOptions
{
    /// <summary>Hidden width of the projector and the predictor MLPs (4096; output <see cref="MethodOptions.Dim"/> 256).</summary>
    public int Hidden { get; init; } = 4096;
    /// <summary>τ_base of the target network's exponential moving average, cosine-increased to 1 over the run (0.996).</summary>
    public float BaseMomentum { get; init; } = 0.996f;

    /// <summary>LARS (biases and BN excluded), lr 0.2·B/256, wd 1.5e-6, 10-epoch warmup then cosine, batch 4096, 1000 epochs.</summary>
    public override OptimizerDefaults DefaultOptimizer { get; init; } =
        new(OptimizerKind.Lars, 0.2f, LrScaling.Linear, 0.9f, 1.5e-6f, LrScheduleKind.Cosine, 10, [], 4096, 1000);

    public static ByolOptions Paper() => new() { Dim = 256 };

    /// <summary>Our choice for small images (the paper has no CIFAR recipe): CIFAR stem, heads 512 → 128 (the backbone
    /// width and the other methods' embedding size; the paper's 4096 → 256 is one <c>with</c> away), τ_base 0.99 (shorter
    /// runs), LARS lr 1.0·B/256 with wd 1e-5 at batch 256 for 1000 epochs as common CIFAR reproductions (e.g. solo-learn)
    /// use. Not tuned here.</summary>
    public static ByolOptions Small() => new()
    {
        Backbone = SmallBackbone, Hidden = 512, Dim = 128, BaseMomentum = 0.99f,
        DefaultOptimizer = new(OptimizerKind.Lars, 1.0f, LrScaling.Linear, 0.9f, 1e-5f, LrScheduleKind.Cosine, 10, [], 256, 1000),
    };
}

/// <summary>Barlow Twins (Zbontar et al. 2021). Paper defaults from §4 and the official facebookresearch/barlowtwins code.</summary>
public sealed record BarlowTwinsOptions : MethodOptions
{
    /// <summary>Width of the projector's two hidden layers (8192; its output is <see cref="MethodOptions.Dim"/>, 8192).</summary>
    public int Hidden { get; init; } = 8192;
    /// <summary>λ weighting the redundancy-reduction (off-diagonal) term (0.0051, tuned for D = 8192).</summary>
    public float Lambda { get; init; } = 0.0051f;
    /// <summary>Base lr of biases and BN parameters (0.0048·B/256) where weights use <see cref="OptimizerDefaults.BaseLr"/>
    /// (0.2·B/256). <see cref="OptimizerDefaults"/> has one lr, so the trainer reads this one separately: the bias/BN
    /// parameter group's lr is the weights' × BiasAndNormBaseLr / BaseLr, and the schedule scales both.</summary>
    public float BiasAndNormBaseLr { get; init; } = 0.0048f;

    /// <summary>LARS, lr 0.2·B/256 for weights, wd 1.5e-6, 10-epoch warmup then cosine, batch 2048, 1000 epochs.</summary>
    public override OptimizerDefaults DefaultOptimizer { get; init; } =
        new(OptimizerKind.Lars, 0.2f, LrScaling.Linear, 0.9f, 1.5e-6f, LrScheduleKind.Cosine, 10, [], 2048, 1000);

    public static BarlowTwinsOptions Paper() => new() { Dim = 8192 };

    /// <summary>Our choice for small images: CIFAR stem, projector 2048-2048-2048 (a quarter of the paper's, as common
    /// CIFAR reproductions), the paper's λ, lrs and wd (its results hold down to batch 256), batch 256, 1000 epochs.
    /// λ is not rescaled for the smaller D. Not tuned here.</summary>
    public static BarlowTwinsOptions Small() => new()
    {
        Backbone = SmallBackbone, Hidden = 2048, Dim = 2048,
        DefaultOptimizer = new(OptimizerKind.Lars, 0.2f, LrScaling.Linear, 0.9f, 1.5e-6f, LrScheduleKind.Cosine, 10, [], 256, 1000),
    };
}
