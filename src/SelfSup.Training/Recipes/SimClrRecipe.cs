using static SelfSup.Vision.Transforms.ViewParts;

namespace SelfSup.Training;

/// <summary>SimCLR (Chen et al. 2020) and its v2 head (Chen et al. 2020b). Defaults from google-research/simclr.</summary>
public sealed class SimClrRecipe : MethodRecipe
{
    public override string Name => SimClr.MethodName;
    public override string Citation => "Chen et al. 2020, A Simple Framework for Contrastive Learning of Visual Representations (ICML)";
    public override bool GlobalBatchNorm => true;
    public override string Summary => "NT-Xent over 2N views (2N−2 negatives), 2-layer projection head with BN, LARS, warmup + cosine";

    /// <summary>τ 0.1; LARS, lr 0.3·B/256 (or 0.075·√B with <see cref="WithSqrtScaling"/>), wd 1e-6, 10-epoch warmup, cosine,
    /// batch 4096, 100 epochs.</summary>
    public override Preset Paper() => new(new SimClrOptions(), Lars(baseLr: 0.3f, weightDecay: 1e-6f, batch: 4096, epochs: 100));

    /// <summary>The official CIFAR-10 command: τ 0.5, batch 512, lr 1.0·B/256, wd 1e-4, 1000 epochs.</summary>
    public override Preset Small() => new(new SimClrOptions { Backbone = SmallBackbone, Temperature = 0.5f },
        Lars(baseLr: 1.0f, weightDecay: 1e-4f, batch: 512, epochs: 1000));

    /// <summary>Tuned on Fashion-MNIST's validation split (docs/tuning.md): τ 0.2, LARS lr 5 at batch 128 and crops of at
    /// least half the image learn most in 3 epochs (80.1 % at lr 1.5, 80.9 % at 5; 82.0 % with crops ≥ 0.5, 80.8 % ≥ 0.7).</summary>
    public override Preset Quick()
    {
        var small = Small();
        return base.Quick() with                   // (the default would be lr 2.0, the CIFAR command's at batch 512)
        {
            Method = OptionsOf<SimClrOptions>(small.Method) with { Temperature = 0.2f },
            Optimizer = QuickOptimizer(small.Optimizer, lrAt128: 5f),
            CropMinScale = 0.5f,
        };
    }

    static OptimizerDefaults Lars(float baseLr, float weightDecay, int batch, int epochs) => new(
        Kind: OptimizerKind.Lars, BaseLr: baseLr, Scaling: LrScaling.Linear, Momentum: 0.9f, WeightDecay: weightDecay,
        Schedule: LrScheduleKind.Cosine, WarmupEpochs: 10, BatchSize: batch, Epochs: epochs);

    /// <summary>Square-root lr scaling (appendix B.1: lr = 0.075·√B), for small batches.</summary>
    public static Preset WithSqrtScaling(Preset preset) =>
        preset with { Optimizer = preset.Optimizer with { BaseLr = 0.075f, Scaling = LrScaling.Sqrt } };

    /// <summary>Appendix A (data_util.py): crop 0.08–1, flip, ColorJitter(0.8s, 0.8s, 0.8s, 0.2s) p 0.8, grayscale 0.2,
    /// blur p 0.5 with a kernel of 10% of the image. Strength s = 1 at 224; s = 0.5 and no blur on CIFAR (appendix B.9).</summary>
    public override MultiView Views(int size, int channels) => Views(size, channels, strength: null);

    /// <summary><see cref="Views(int, int)"/> with colour strength <paramref name="strength"/> (null: the paper's choice).</summary>
    public static MultiView Views(int size, int channels, float? strength)
    {
        float s = strength ?? (IsSmall(size) ? 0.5f : 1f);
        return MultiView.Twice(View(channels,
            new RandomResizedCrop(size), new HorizontalFlip(0.5f),
            new RandomApply(0.8f, Jitter(channels, 0.8f * s, 0.8f * s, 0.8f * s, 0.2f * s)), Gray(channels, 0.2f),
            Blur(size, 0.5f), Normalize.For(size, channels)));
    }

    /// <summary>`--head-layers`: SimCLR's 2-layer head or SimCLR v2's 3-layer one (Chen et al. 2020b, §2).</summary>
    public override bool HasHeadLayers => true;

    public override MethodOptions WithHeadLayers(MethodOptions options, int layers) => layers is 2 or 3
        ? OptionsOf<SimClrOptions>(options) with { HeadLayers = layers }
        : throw new ArgumentException($"--head-layers must be 2 (SimCLR) or 3 (SimCLR v2), not {layers}");

    public override bool HasTemperature => true;

    public override MethodOptions WithTemperature(MethodOptions options, float temperature) => OptionsOf<SimClrOptions>(options) with { Temperature = temperature };

    public override SslMethod Create(MethodOptions options, Generator rng, int datasetSize = 0) =>
        new SimClr(OptionsOf<SimClrOptions>(options), rng);
}
