using static SelfSup.Vision.Transforms.ViewParts;

namespace SelfSup.Training;

/// <summary>Instance discrimination (Wu et al. 2018). Defaults from the official lemniscate.pytorch code.</summary>
public sealed class InstDiscRecipe : MethodRecipe
{
    public override string Name => InstDisc.MethodName;
    public override string Citation => "Wu et al. 2018, Unsupervised Feature Learning via Non-Parametric Instance Discrimination (CVPR)";
    public override string Summary =>
        "memory bank of 128-d unit vectors (m 0.5), NCE with K 4096 uniform noise samples and Z from the first batch; 1 view";

    /// <summary>128-d, K 4096, τ 0.07; SGD lr 0.03, momentum 0.9, wd 1e-4, ×0.1 at 60% and 80% of 200 epochs, batch 256.</summary>
    public override Preset Paper() => new(new InstDiscOptions(), new OptimizerDefaults(
        Kind: OptimizerKind.Sgd, BaseLr: 0.03f, Scaling: LrScaling.None, Momentum: 0.9f, WeightDecay: 1e-4f,
        Schedule: LrScheduleKind.Step, StepMilestones: [0.6f, 0.8f], BatchSize: 256, Epochs: 200));

    /// <summary>The official cifar.py: τ 0.1, batch 128, wd 5e-4, lr ×0.1 at epochs 120 and 160 of 200 (and at 80:
    /// its rule is 0.1^((epoch−80)//40) from epoch 80).</summary>
    public override Preset Small() => new(new InstDiscOptions { Backbone = SmallBackbone, Temperature = 0.1f }, new OptimizerDefaults(
        Kind: OptimizerKind.Sgd, BaseLr: 0.03f, Scaling: LrScaling.None, Momentum: 0.9f, WeightDecay: 5e-4f,
        Schedule: LrScheduleKind.Step, StepMilestones: [0.4f, 0.6f, 0.8f], BatchSize: 128, Epochs: 200));

    /// <summary>lemniscate.pytorch main.py / cifar.py: one view; crop scale 0.2–1, grayscale 0.2, ColorJitter(0.4, 0.4, 0.4,
    /// 0.4) always, flip. Same recipe at 32 px in the official CIFAR script.</summary>
    public override MultiView Views(int size, int channels) => new([View(channels,
        new RandomResizedCrop(size, MinScale: 0.2f), Gray(channels, 0.2f), Jitter(channels, 0.4f, 0.4f, 0.4f, 0.4f), new HorizontalFlip(0.5f),
        Normalize.For(size, channels))]);

    public override bool HasTemperature => true;

    public override MethodOptions WithTemperature(MethodOptions options, float temperature) => OptionsOf<InstDiscOptions>(options) with { Temperature = temperature };

    public override SslMethod Create(MethodOptions options, Generator rng, int datasetSize = 0) =>
        new InstDisc(OptionsOf<InstDiscOptions>(options), datasetSize, rng);
}
