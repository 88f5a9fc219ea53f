namespace SelfSup.Training;

/// <summary>Barlow Twins (Zbontar et al. 2021). Paper defaults from §4 and the official facebookresearch/barlowtwins code.</summary>
public sealed class BarlowTwinsRecipe : MethodRecipe
{
    public override string Name => BarlowTwins.MethodName;
    public override string Citation => "Zbontar et al. 2021, Barlow Twins: Self-Supervised Learning via Redundancy Reduction (ICML)";
    public override bool GlobalBatchNorm => true;
    public override string Summary =>
        "cross-correlation of batch-standardised 8192-d projections pushed to the identity, λ 0.0051 off-diagonal, LARS";

    /// <summary>Projector 8192-8192-8192; LARS, lr 0.2·B/256 for weights and 0.0048·B/256 for biases and BN parameters
    /// ("Implementation details"), wd 1.5e-6, 10-epoch warmup then cosine, batch 2048, 1000 epochs.</summary>
    public override Preset Paper() => new(new BarlowTwinsOptions { Dim = 8192 }, Lars(batch: 2048));

    /// <summary>Our choice for small images: CIFAR stem, projector 2048-2048-2048 (a quarter of the paper's, as common
    /// CIFAR reproductions), the paper's λ, lrs and wd (its results hold down to batch 256), batch 256, 1000 epochs.
    /// λ is not rescaled for the smaller D. Not tuned here.</summary>
    public override Preset Small() => new(new BarlowTwinsOptions { Backbone = SmallBackbone, Hidden = 2048, Dim = 2048 }, Lars(batch: 256));

    static OptimizerDefaults Lars(int batch) => new(
        Kind: OptimizerKind.Lars, BaseLr: 0.2f, BiasAndNormBaseLr: 0.0048f, Scaling: LrScaling.Linear, Momentum: 0.9f,
        WeightDecay: 1.5e-6f, Schedule: LrScheduleKind.Cosine, WarmupEpochs: 10, BatchSize: batch, Epochs: 1000);

    /// <summary>main.py's Transform: BYOL's views (crop, flip, jitter 0.4/0.4/0.2/0.1 p 0.8, grayscale 0.2, blur 1.0 / 0.1,
    /// solarize 0 / 0.2) with bicubic crops.</summary>
    public override MultiView Views(int size, int channels) =>
        ByolRecipe.AsymmetricViews(size, channels, flipFirst: true, Interpolation.Bicubic);

    public override SslMethod Create(MethodOptions options, Generator rng, int datasetSize = 0) =>
        new BarlowTwins(OptionsOf<BarlowTwinsOptions>(options), rng);
}
