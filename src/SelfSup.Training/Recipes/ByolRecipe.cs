using static SelfSup.Vision.Transforms.ViewParts;

namespace SelfSup.Training;

/// <summary>BYOL (Grill et al. 2020). Paper defaults from §3.2 and appendix C; the small preset is our choice (below).</summary>
public sealed class ByolRecipe : MethodRecipe
{
    public override string Name => Byol.MethodName;
    public override string Citation => "Grill et al. 2020, Bootstrap Your Own Latent: A New Approach to Self-Supervised Learning (NeurIPS)";
    public override bool GlobalBatchNorm => true;
    public override string Summary =>
        "online predictor regresses a moving-average target's projection (τ 0.996 → 1, cosine), 2 − 2·cos both ways, no negatives, LARS";

    /// <summary>Heads 4096 → 256; LARS (biases and BN excluded), lr 0.2·B/256, wd 1.5e-6, 10-epoch warmup then cosine,
    /// batch 4096, 1000 epochs.</summary>
    public override Preset Paper() => new(new ByolOptions { Dim = 256 }, new OptimizerDefaults(
        Kind: OptimizerKind.Lars, BaseLr: 0.2f, Scaling: LrScaling.Linear, Momentum: 0.9f, WeightDecay: 1.5e-6f,
        Schedule: LrScheduleKind.Cosine, WarmupEpochs: 10, BatchSize: 4096, Epochs: 1000));

    /// <summary>Our choice for small images (the paper has no CIFAR recipe): CIFAR stem, heads 512 → 128 (the backbone
    /// width and the other methods' embedding size; the paper's 4096 → 256 is one <c>with</c> away), τ_base 0.99 (shorter
    /// runs), LARS lr 1.0·B/256 with wd 1e-5 at batch 256 for 1000 epochs as common CIFAR reproductions (e.g. solo-learn)
    /// use. Not tuned here.</summary>
    public override Preset Small() => new(new ByolOptions { Backbone = SmallBackbone, Hidden = 512, Dim = 128, BaseMomentum = 0.99f },
        new OptimizerDefaults(Kind: OptimizerKind.Lars, BaseLr: 1.0f, Scaling: LrScaling.Linear, Momentum: 0.9f, WeightDecay: 1e-5f,
            Schedule: LrScheduleKind.Cosine, WarmupEpochs: 10, BatchSize: 256, Epochs: 1000));

    /// <summary>Table 6: crop 0.08–1, flip, ColorJitter(0.4, 0.4, 0.2, 0.1) p 0.8, grayscale 0.2; blur p 1.0 / 0.1 and
    /// solarize p 0 / 0.2 for the two views. Small: no blur, solarize kept.</summary>
    public override MultiView Views(int size, int channels) => AsymmetricViews(size, channels, flipFirst: true);

    /// <summary>BYOL's two asymmetric views, which Barlow Twins (bicubic crops) and MoCo v3 (flip last) take too.</summary>
    internal static MultiView AsymmetricViews(int size, int channels, bool flipFirst, Interpolation interpolation = Interpolation.Bilinear)
    {
        IViewTransform Make(float blurP, float solarizeP)
        {
            var steps = new List<IImageTransform?> { new RandomResizedCrop(size, Interpolation: interpolation) };
            if (flipFirst) steps.Add(new HorizontalFlip(0.5f));
            steps.Add(new RandomApply(0.8f, Jitter(channels, 0.4f, 0.4f, 0.2f, 0.1f)));
            steps.Add(Gray(channels, 0.2f));
            steps.Add(Blur(size, blurP));
            if (solarizeP > 0) steps.Add(new RandomApply(solarizeP, new Solarize(0.5f)));
            if (!flipFirst) steps.Add(new HorizontalFlip(0.5f));
            steps.Add(Normalize.For(size, channels));
            return View(channels, [.. steps]);
        }
        return new MultiView([Make(blurP: 1.0f, solarizeP: 0f), Make(blurP: 0.1f, solarizeP: 0.2f)]);
    }

    public override SslMethod Create(MethodOptions options, Generator rng, int datasetSize = 0) =>
        new Byol(OptionsOf<ByolOptions>(options), rng);
}
