namespace SelfSup.Training;

/// <summary>
/// MoCo v3 (Chen, Xie &amp; He 2021). Defaults from facebookresearch/moco-v3 (main_moco.py, builder.py, CONFIG.md). The
/// recipe depends on the backbone: ResNets use LARS, τ 1.0 and a 2-layer projector; ViTs use AdamW, τ 0.2, a 3-layer
/// projector, a predictor ending in BN, and the frozen random patch projection (<see cref="ForBackbone"/>).
/// </summary>
public sealed class MoCoV3Recipe : MethodRecipe
{
    public override string Name => MoCoV3.MethodName;
    public override string Citation => "Chen, Xie & He 2021, An Empirical Study of Training Self-Supervised Vision Transformers (ICCV)";
    public override bool GlobalBatchNorm => true;
    public override string Summary =>
        "base encoder + predictor vs a momentum encoder (m 0.99 → 1, cosine), in-batch negatives, symmetric InfoNCE ×2τ; ResNet: LARS τ 1.0, ViT: AdamW τ 0.2, frozen patch projection";

    /// <summary>The paper's ResNet-50 recipe (CONFIG.md, 100 epochs, 68.9% linear): projector 2048 → 4096 → 256, predictor
    /// 256 → 4096 → 256, τ 1.0, m 0.99 → 1; LARS (ndim ≤ 1 excluded), lr 0.6·B/256, wd 1e-6, momentum 0.9, 10-epoch warmup
    /// then cosine, batch 4096.</summary>
    public override Preset Paper() => new(new MoCoV3Options { Backbone = new ResNet.Options(Depth: 50, NumClasses: 0), Dim = 256 },
        Lars(batch: 4096, epochs: 100));

    /// <summary>The paper's ViT-Small recipe (CONFIG.md, 300 epochs): 3-layer projector D → 4096 → 4096 → 256, predictor
    /// with last BN, τ 0.2, AdamW lr 1.5e-4·B/256, wd 0.1, 40-epoch warmup then cosine, batch 4096, stop-grad patch
    /// projection.</summary>
    public Preset PaperVit() => Vit(Paper(), VisionTransformer.Options.Small(), batch: 4096, epochs: 300, warmup: 40);

    /// <summary>Small images (our preset; the paper has none): CIFAR-stem ResNet, projector F → 512 → 128 with BN after each
    /// Linear (the last without affine), predictor 128 → 512 → 128 (BN on the hidden layer only), m 0.99 → 1, τ 1.0,
    /// LARS lr 0.6·B/256, wd 1e-6, momentum 0.9, batch 256, warmup a tenth of the run then cosine, 100 epochs.</summary>
    public override Preset Small() => new(new MoCoV3Options { Backbone = SmallBackbone, Hidden = 512, Dim = 128 }, Lars(batch: 256, epochs: 100));

    /// <summary><see cref="Small"/> with a ViT: 3-layer projector D → 512 → 512 → 128, predictor with last BN, τ 0.2,
    /// AdamW lr 1.5e-4·B/256, wd 0.1, batch 256, 100 epochs with a tenth of warmup, stop-grad patch projection.</summary>
    public Preset SmallVit(int imageSize = 32, int inChannels = 3) =>
        Vit(Small(), VisionTransformer.Options.Tiny(imageSize, 4, inChannels), batch: 256, epochs: 100, warmup: 10);

    /// <summary>The ResNet or ViT variant of the preset for <paramref name="backbone"/>, which it uses as given except that a
    /// ViT's patch projection is frozen.</summary>
    public override Preset ForBackbone(Preset preset, BackboneOptions backbone, bool small) => backbone switch
    {
        VisionTransformer.Options vit => Vit(preset, vit, batch: small ? 256 : 4096, epochs: small ? 100 : 300, warmup: small ? 10 : 40),
        _ => base.ForBackbone(preset, backbone, small),
    };

    static Preset Vit(Preset resnet, VisionTransformer.Options vit, int batch, int epochs, int warmup) => new(
        (MoCoV3Options)resnet.Method with
        {
            Backbone = vit with { FreezePatchProjection = true },
            ProjectorLayers = 3, PredictorLastBatchNorm = true, Temperature = 0.2f,
        },
        new OptimizerDefaults(Kind: OptimizerKind.AdamW, BaseLr: 1.5e-4f, Scaling: LrScaling.Linear, Momentum: 0.9f, WeightDecay: 0.1f,
            Schedule: LrScheduleKind.Cosine, WarmupEpochs: warmup, BatchSize: batch, Epochs: epochs))
    {
        CropMinScale = resnet.CropMinScale, TrainImages = resnet.TrainImages,          // the quick preset's crops and budget
    };

    static OptimizerDefaults Lars(int batch, int epochs) => new(
        Kind: OptimizerKind.Lars, BaseLr: 0.6f, Scaling: LrScaling.Linear, Momentum: 0.9f, WeightDecay: 1e-6f,
        Schedule: LrScheduleKind.Cosine, WarmupEpochs: 10, BatchSize: batch, Epochs: epochs);

    /// <summary>main_moco.py: BYOL's views with the flip last, crop 0.08–1.</summary>
    public override MultiView Views(int size, int channels) => ByolRecipe.AsymmetricViews(size, channels, flipFirst: false);

    public override bool HasTemperature => true;

    public override MethodOptions WithTemperature(MethodOptions options, float temperature) => OptionsOf<MoCoV3Options>(options) with { Temperature = temperature };

    public override SslMethod Create(MethodOptions options, Generator rng, int datasetSize = 0) =>
        new MoCoV3(OptionsOf<MoCoV3Options>(options), rng);
}
