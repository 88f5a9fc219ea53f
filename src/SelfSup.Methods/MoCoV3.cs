using SelfSup.Methods.Components;
using SelfSup.Methods.Heads;
using SelfSup.Methods.Losses;

namespace SelfSup.Methods;

/// <summary>
/// MoCo v3 (Chen, Xie &amp; He 2021, "An Empirical Study of Training Self-Supervised Vision Transformers", §3 and
/// Algorithm 1). A base encoder f_q (backbone + projector) followed by a predictor, and a momentum encoder f_k, a moving
/// average of backbone + projector; no queue: each query's negatives are the other keys of the batch. Loss:
/// ctr(q₁, k₂) + ctr(q₂, k₁) with ctr = CE(q·kᵀ/τ, arange N)·2τ (<see cref="MoCoV3Loss"/>). After each step
/// θ_k ← m·θ_k + (1−m)·θ_q with m cosine-increased from m_base to 1. With a ViT backbone the recipe freezes its random
/// patch projection (§4.2, "stop-gradient on the patch projection"; <see cref="VisionTransformer.Options.FreezePatchProjection"/>).
/// Each view goes through the networks on its own (BN statistics per view, as the official code). As in
/// <see cref="MomentumEncoder"/>, only parameters are averaged. The official code all-gathers the keys across GPUs;
/// one process sees the whole batch, so nothing is gathered here.
/// State-dict: "backbone.", "head." (projector), "predictor.", "momentum.backbone.", "momentum.head.".
/// </summary>
public sealed class MoCoV3 : SslMethod
{
    readonly MoCoV3Options o;
    readonly Encoder baseEncoder;                       // f_q = projector(backbone(x)); parts registered as "backbone", "head"
    readonly Mlp predictor;                             // q = predictor(f_q(x))
    readonly Encoder momentumEncoder;                   // f_k, moving average of f_q, no gradient
    bool stepPending;                                   // a loss was computed since the last AfterStep

    /// <param name="options">Heads, τ, m_base (the recipe matches them to the backbone: ResNet or ViT).</param>
    /// <param name="rng">Initialises the base encoder (copied into the momentum encoder) and the predictor.</param>
    public MoCoV3(MoCoV3Options options, Generator rng)
    {
        if (options.ProjectorLayers < 1) throw new ArgumentException($"MoCo v3's projector needs at least one layer, not {options.ProjectorLayers}");
        o = options;
        var backbone = Child("backbone", BuildBackbone(options, rng));
        var projector = Child("head", Projector(backbone.FeatureDim, rng));
        baseEncoder = new Encoder(backbone, projector);
        predictor = Child("predictor", MoCoV3Heads.Predictor(options.Dim, options.Hidden, options.PredictorLastBatchNorm, rng));
        momentumEncoder = Child("momentum", new Encoder(BuildBackbone(options, rng), Projector(backbone.FeatureDim, rng)));
        MomentumEncoder.InitialiseCopy(baseEncoder, momentumEncoder);           // θ_k = θ_q, requires_grad off
    }

    Mlp Projector(int features, Generator rng) => MoCoV3Heads.Projector(o.ProjectorLayers, features, o.Hidden, o.Dim, rng);

    /// <summary>The registry name.</summary>
    public const string MethodName = "mocov3";
    public override string Name => MethodName;
    public override Backbone Backbone => baseEncoder.Backbone;
    public override int ViewCount => 2;
    public MoCoV3Options Options => o;
    public Encoder BaseEncoder => baseEncoder;
    public Mlp Predictor => predictor;
    public Encoder MomentumEncoderCopy => momentumEncoder;

    public override Tensor Loss(IReadOnlyList<Tensor> views, int[] indices)
    {
        CheckViews(views, indices, 2);
        var q1 = predictor.Forward(baseEncoder.Forward(views[0]));             // (N, D) queries of view 1
        var q2 = predictor.Forward(baseEncoder.Forward(views[1]));             // (N, D) queries of view 2
        var k1 = Keys(views[0]);                                                // (N, D) f_k(x₁), no gradient
        var k2 = Keys(views[1]);                                                // (N, D) f_k(x₂)
        stepPending = true;
        return MoCoV3Loss.Symmetric(q1, q2, k1, k2, o.Temperature, Group);      // ctr(q₁, k₂) + ctr(q₂, k₁), keys of every rank
    }

    /// <summary>k = f_k(x) outside autograd (train-mode BN, not normalised): (N, C, H, W) → (N, D).</summary>
    public Tensor Keys(Tensor x)
    {
        using var _ = Grad.Disabled();
        return momentumEncoder.Forward(x);
    }

    /// <summary>m after step <paramref name="step"/> of <paramref name="totalSteps"/>:
    /// 1 − ½(1 + cos(π·step/total))(1 − m_base), from m_base to 1 (main_moco.py adjust_moco_momentum).</summary>
    public float MomentumAt(int step, int totalSteps) => MomentumEncoder.Momentum(o.BaseMomentum, cosine: true, step, totalSteps);

    /// <summary>θ_k ← m·θ_k + (1−m)·θ_q (backbone and projector) with the scheduled m.</summary>
    public override void AfterStep(int step, int totalSteps)
    {
        if (!stepPending) return;
        MomentumEncoder.Update(from: baseEncoder, to: momentumEncoder, MomentumAt(step, totalSteps));
        stepPending = false;
    }
}

/// <summary>MoCo v3's options (defaults: facebookresearch/moco-v3's ResNet recipe; its ViT recipe is the recipe's
/// <c>ForBackbone</c>).</summary>
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
}
