namespace SelfSup.Methods;

/// <summary>
/// MoCo v3 (Chen, Xie &amp; He 2021). Defaults from facebookresearch/moco-v3 (main_moco.py, builder.py, CONFIG.md). The
/// recipe depends on the backbone: ResNets use LARS, τ 1.0 and a 2-layer projector; ViTs use AdamW, τ 0.2, a 3-layer
/// projector, a predictor ending in BN, and the frozen random patch projection. <see cref="For"/> picks the variant for
/// a resolved backbone; the trainer calls it after reading <c>--backbone</c>.
/// </summary>
public sealed record MoCoV3Options : MethodOptions
{
    /// <summary>Hidden width of the projector and predictor MLPs (<c>--moco-mlp-dim</c>, 4096); their output is
    /// <see cref="MethodOptions.Dim"/> (<c>--moco-dim</c>, 256).</summary>
    public int Hidden { get; init; } = 4096;
    /// <summary>Linear layers of the projector: 2 for ResNets (MoCo_ResNet), 3 for ViTs (MoCo_ViT).</summary>
    public int ProjectorLayers { get; init; } = 2;
    /// <summary>Whether the predictor ends in BatchNorm1d(affine=False) like the projector: false for ResNets
    /// (<c>_build_mlp(2, dim, mlp_dim, dim, False)</c>), true for ViTs (MoCo_ViT keeps the default last_bn=True).</summary>
    public bool PredictorLastBatchNorm { get; init; }
    /// <summary>τ of the contrastive loss (<c>--moco-t</c>: 1.0 for ResNets, 0.2 for ViTs).</summary>
    public float Temperature { get; init; } = 1.0f;
    /// <summary>Base momentum m of the momentum encoder, cosine-increased to 1 over the run (<c>--moco-m 0.99 --moco-m-cos</c>).</summary>
    public float BaseMomentum { get; init; } = 0.99f;

    /// <summary>ResNet-50, 100 epochs: LARS (ndim ≤ 1 excluded), lr 0.6·B/256, wd 1e-6, momentum 0.9, 10-epoch warmup then
    /// cosine, batch 4096.</summary>
    public override OptimizerDefaults DefaultOptimizer { get; init; } = Lars(4096, 100);

    /// <summary>The paper's ResNet-50 recipe (CONFIG.md, 100 epochs, 68.9% linear): projector 2048 → 4096 → 256,
    /// predictor 256 → 4096 → 256, τ 1.0, m 0.99 → 1.</summary>
    public static MoCoV3Options Paper() => new() { Backbone = new ResNet.Options(Depth: 50, NumClasses: 0), Dim = 256 };

    /// <summary>The paper's ViT-Small recipe (CONFIG.md, 300 epochs): 3-layer projector D → 4096 → 4096 → 256, predictor
    /// with last BN, τ 0.2, AdamW lr 1.5e-4·B/256, wd 0.1, 40-epoch warmup then cosine, batch 4096, stop-grad patch
    /// projection.</summary>
    public static MoCoV3Options PaperVit() => Vit(Paper() with { Backbone = VisionTransformer.Options.Small() }, 4096, 300, 40);

    /// <summary>Small images (our preset; the paper has none): CIFAR-stem ResNet, projector F → 512 → 128 with BN after each
    /// Linear (the last without affine), predictor 128 → 512 → 128 (BN on the hidden layer only), m 0.99 → 1, τ 1.0,
    /// LARS lr 0.6·B/256, wd 1e-6, momentum 0.9, batch 256, warmup a tenth of the run then cosine, 100 epochs.</summary>
    public static MoCoV3Options Small() => new()
    {
        Backbone = SmallBackbone, Hidden = 512, Dim = 128, DefaultOptimizer = Lars(256, 100),
    };

    /// <summary><see cref="Small"/> with a ViT: 3-layer projector D → 512 → 512 → 128, predictor with last BN, τ 0.2,
    /// AdamW lr 1.5e-4·B/256, wd 0.1, batch 256, 100 epochs with a tenth of warmup, stop-grad patch projection.</summary>
    public static MoCoV3Options SmallVit(int imageSize = 32, int inChannels = 3) =>
        Vit(Small() with { Backbone = VisionTransformer.Options.Tiny(imageSize, 4, inChannels) }, 256, 100, 10);

    /// <summary>The preset (<see cref="Small"/>/<see cref="SmallVit"/> or <see cref="Paper"/>/<see cref="PaperVit"/>) for
    /// <paramref name="backbone"/>, which it uses as given except that a ViT's patch projection is frozen.</summary>
    public static MoCoV3Options For(BackboneOptions backbone, bool small) => backbone switch
    {
        VisionTransformer.Options vit => (small ? SmallVit() : PaperVit()) with { Backbone = vit with { FreezePatchProjection = true } },
        _ => (small ? Small() : Paper()) with { Backbone = backbone },
    };

    static MoCoV3Options Vit(MoCoV3Options resnet, int batch, int epochs, int warmup) => resnet with
    {
        Backbone = ((VisionTransformer.Options)resnet.Backbone) with { FreezePatchProjection = true },
        ProjectorLayers = 3, PredictorLastBatchNorm = true, Temperature = 0.2f,
        DefaultOptimizer = new(OptimizerKind.AdamW, 1.5e-4f, LrScaling.Linear, 0.9f, 0.1f, LrScheduleKind.Cosine, warmup, [], batch, epochs),
    };

    static OptimizerDefaults Lars(int batch, int epochs) =>
        new(OptimizerKind.Lars, 0.6f, LrScaling.Linear, 0.9f, 1e-6f, LrScheduleKind.Cosine, 10, [], batch, epochs);
}
