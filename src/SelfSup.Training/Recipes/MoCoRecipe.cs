using static SelfSup.Vision.Transforms.ViewParts;

namespace SelfSup.Training;

/// <summary>MoCo v1 (He et al. 2020) and v2 (Chen et al. 2020). Defaults from facebookresearch/moco; the small preset from
/// its CIFAR-10 demo (K 4096, m 0.99, 8 BN splits, lr 0.06 at batch 512, wd 5e-4).</summary>
public sealed class MoCoRecipe : MethodRecipe
{
    readonly bool v2;
    MoCoRecipe(bool v2) => this.v2 = v2;

    public static MoCoRecipe V1 { get; } = new(v2: false);
    public static MoCoRecipe V2 { get; } = new(v2: true);

    public override string Name => v2 ? MoCo.V2Name : MoCo.V1Name;
    public override string Citation => v2
        ? "Chen et al. 2020, Improved Baselines with Momentum Contrastive Learning (arXiv:2003.04297)"
        : "He et al. 2020, Momentum Contrast for Unsupervised Visual Representation Learning (CVPR)";
    public override bool ShufflesBatchNorm => true;
    public override MethodOptions WithBnSplits(MethodOptions options, int splits) => OptionsOf<MoCoOptions>(options) with { BnSplits = splits };
    public override string Summary => v2
        ? "MoCo v1 + 2-layer MLP head, τ 0.2, blur augmentation, cosine lr"
        : "momentum key encoder (m 0.999), FIFO queue of 65536 keys, InfoNCE τ 0.07, shuffling BN over 8 splits";

    /// <summary>v1: Linear head, τ 0.07, lr ×0.1 at epochs 120 and 160 of 200. v2: MLP head, τ 0.2, cosine lr.</summary>
    public override Preset Paper() => v2
        ? new(new MoCoOptions { Mlp = true, Temperature = 0.2f }, Sgd(weightDecay: 1e-4f, batch: 256, cosine: true))
        : new(new MoCoOptions(), Sgd(weightDecay: 1e-4f, batch: 256, cosine: false));

    /// <summary>K 4096, m 0.99, wd 5e-4, batch 512; v2 τ 0.1 (the demo's), v1 keeps τ 0.07 and its step schedule.</summary>
    public override Preset Small() => new(
        new MoCoOptions { Backbone = SmallBackbone, Mlp = v2, QueueSize = 4096, Momentum = 0.99f, Temperature = v2 ? 0.1f : 0.07f },
        Sgd(weightDecay: 5e-4f, batch: 512, cosine: v2));

    /// <summary>SGD lr 0.03·B/256, momentum 0.9, 200 epochs: cosine (v2) or ×0.1 at 60% and 80% of the run (v1).</summary>
    internal static OptimizerDefaults Sgd(float weightDecay, int batch, bool cosine) => new(
        Kind: OptimizerKind.Sgd, BaseLr: 0.03f, Scaling: LrScaling.Linear, Momentum: 0.9f, WeightDecay: weightDecay,
        Schedule: cosine ? LrScheduleKind.Cosine : LrScheduleKind.Step, StepMilestones: cosine ? [] : [0.6f, 0.8f],
        BatchSize: batch, Epochs: 200);

    public override MultiView Views(int size, int channels) => v2 ? V2Views(size, channels) : V1Views(size, channels);

    /// <summary>main_moco.py without --aug-plus: crop 0.2–1, grayscale 0.2, ColorJitter(0.4, 0.4, 0.4, 0.4) always, flip.
    /// Small: the CIFAR demo's recipe (<see cref="SmallViews"/>).</summary>
    static MultiView V1Views(int size, int channels) => IsSmall(size) ? SmallViews(size, channels)
        : MultiView.Twice(View(channels,
            new RandomResizedCrop(size, MinScale: 0.2f), Gray(channels, 0.2f), Jitter(channels, 0.4f, 0.4f, 0.4f, 0.4f),
            new HorizontalFlip(0.5f), Normalize.For(size, channels)));

    /// <summary>v2's "aug+" (main_moco.py --aug-plus): crop 0.2–1, ColorJitter(0.4, 0.4, 0.4, 0.1) p 0.8, grayscale 0.2,
    /// blur σ 0.1–2 p 0.5, flip. Small: <see cref="SmallViews"/>. DenseCL takes these too.</summary>
    internal static MultiView V2Views(int size, int channels) => IsSmall(size) ? SmallViews(size, channels)
        : MultiView.Twice(View(channels,
            new RandomResizedCrop(size, MinScale: 0.2f), new RandomApply(0.8f, Jitter(channels, 0.4f, 0.4f, 0.4f, 0.1f)),
            Gray(channels, 0.2f), Blur(size, 0.5f), new HorizontalFlip(0.5f), Normalize.For(size, channels)));

    /// <summary>The MoCo CIFAR-10 demo notebook: crop 0.08–1, jitter p 0.8, grayscale 0.2, flip, no blur.</summary>
    static MultiView SmallViews(int size, int channels) => MultiView.Twice(View(channels,
        new RandomResizedCrop(size), new RandomApply(0.8f, Jitter(channels, 0.4f, 0.4f, 0.4f, 0.1f)),
        Gray(channels, 0.2f), new HorizontalFlip(0.5f), Normalize.For(size, channels)));

    /// <summary>K rounded down to a multiple of the batch (at least one batch): the queue enqueues whole batches.</summary>
    public override MethodOptions ForBatch(MethodOptions options, int batch) =>
        OptionsOf<MoCoOptions>(options) is var o && o.QueueSize % batch != 0 ? o with { QueueSize = QueueFor(o.QueueSize, batch) } : options;

    /// <summary>A queue of about <paramref name="size"/> keys that whole batches of <paramref name="batch"/> fill.</summary>
    internal static int QueueFor(int size, int batch) => Math.Max(batch, size / batch * batch);

    public override bool HasTemperature => true;

    public override MethodOptions WithTemperature(MethodOptions options, float temperature) => OptionsOf<MoCoOptions>(options) with { Temperature = temperature };

    public override SslMethod Create(MethodOptions options, Generator rng, int datasetSize = 0) =>
        new MoCo(Name, OptionsOf<MoCoOptions>(options), rng);
}
