namespace SelfSup.Training;

/// <summary>DenseCL (Wang et al. 2021). Paper defaults from the official WXinlong/DenseCL code
/// (configs/selfsup/densecl/densecl_imagenet_200ep.py); the small preset follows MoCo v2's (below).</summary>
public sealed class DenseClRecipe : MethodRecipe
{
    public override string Name => DenseCl.MethodName;
    public override string Citation => "Wang et al. 2021, Dense Contrastive Learning for Self-Supervised Visual Pre-Training (CVPR)";
    public override bool ShufflesBatchNorm => true;
    public override MethodOptions WithBnSplits(MethodOptions options, int splits) => OptionsOf<DenseClOptions>(options) with { BnSplits = splits };
    public override string Summary =>
        "MoCo v2 + dense 1×1-conv head; positives by argmax of backbone-feature similarity, two queues, (1−λ)·global + λ·dense, λ 0.5";

    /// <summary>ResNet-50, heads 2048 → 128, K 65536, m 0.999, τ 0.2, λ 0.5, 8 BN splits; SGD lr 0.03·B/256 (the official
    /// ImageNet config: lr 0.03 at batch 32×8 = 256; its COCO config uses 0.3 for 800 epochs), momentum 0.9, wd 1e-4,
    /// cosine to 0, 200 epochs.</summary>
    public override Preset Paper() => new(new DenseClOptions { Backbone = new ResNet.Options(Depth: 50, NumClasses: 0) },
        MoCoRecipe.Sgd(weightDecay: 1e-4f, batch: 256, cosine: true));

    /// <summary>MoCo v2's small preset carried over (the paper has no CIFAR recipe): CIFAR stem, K 4096 for both queues,
    /// m 0.99, 8 BN splits, heads F → 512 → 128, τ 0.2, λ 0.5; MoCo v2's small optimiser (SGD 0.03·B/256, momentum 0.9,
    /// wd 5e-4, cosine, batch 512, 200 epochs).</summary>
    public override Preset Small() => new(new DenseClOptions { Backbone = SmallBackbone, Hidden = 512, QueueSize = 4096, Momentum = 0.99f },
        MoCoRecipe.V2.Small().Optimizer);

    /// <summary>The official config is MoCo v2's pipeline.</summary>
    public override MultiView Views(int size, int channels) => MoCoRecipe.V2Views(size, channels);

    /// <summary>Both queues rounded down to a multiple of the batch, as MoCo's.</summary>
    public override MethodOptions ForBatch(MethodOptions options, int batch) =>
        OptionsOf<DenseClOptions>(options) is var o && o.QueueSize % batch != 0 ? o with { QueueSize = MoCoRecipe.QueueFor(o.QueueSize, batch) } : options;

    public override bool HasTemperature => true;

    public override MethodOptions WithTemperature(MethodOptions options, float temperature) => OptionsOf<DenseClOptions>(options) with { Temperature = temperature };

    public override SslMethod Create(MethodOptions options, Generator rng, int datasetSize = 0) =>
        new DenseCl(OptionsOf<DenseClOptions>(options), rng);
}
