using SelfSup.Methods.Components;
using SelfSup.Methods.Losses;

namespace SelfSup.Methods;

/// <summary>
/// BYOL (Grill et al. 2020, "Bootstrap Your Own Latent: A New Approach to Self-Supervised Learning", §3.1 and
/// Algorithm 1). An online network (encoder f_θ, projector g_θ, predictor q_θ) predicts the target network's projection
/// of the other view; the target (f_ξ, g_ξ) is an exponential moving average of the online encoder and projector,
/// ξ ← τ·ξ + (1−τ)·θ after each step, with τ = 1 − (1 − τ_base)(cos(πk/K) + 1)/2 rising from τ_base to 1.
/// Loss: ‖q̄_θ(z_θ) − z̄′_ξ‖² for both view orders (<see cref="ByolLoss"/>), no negatives. Projector and predictor are
/// Linear → BN → ReLU → Linear (hidden 4096, out 256 in the paper). Each view goes through the networks on its own (BN
/// statistics per view, as the official code). As in <see cref="MomentumEncoder"/>, only parameters are averaged; the
/// target's BN running statistics come from its own train-mode forwards.
/// State-dict: "backbone.", "head." (online projector), "predictor.", "target.backbone.", "target.head.".
/// </summary>
public sealed class Byol : SslMethod
{
    readonly ByolOptions o;
    readonly Encoder online;                            // g_θ(f_θ(x)); its parts are registered as "backbone", "head"
    readonly Mlp predictor;                             // q_θ
    readonly Encoder target;                            // g_ξ(f_ξ(x)), moving average, no gradient
    bool stepPending;                                   // a loss was computed since the last AfterStep

    /// <param name="options">Head sizes, τ_base.</param>
    /// <param name="rng">Initialises the online network (copied into the target).</param>
    public Byol(ByolOptions options, Generator rng)
    {
        o = options;
        var backbone = Child("backbone", BuildBackbone(options, rng));
        var projector = Child("head", Head(backbone.FeatureDim, rng));
        online = new Encoder(backbone, projector);
        predictor = Child("predictor", Head(options.Dim, rng));
        target = Child("target", new Encoder(BuildBackbone(options, rng), Head(backbone.FeatureDim, rng)));
        MomentumEncoder.InitialiseCopy(online, target);                         // ξ = θ, requires_grad off
    }

    /// <summary>Projector and predictor (§3.3): Linear(in, hidden) → BN → ReLU → Linear(hidden, D).</summary>
    Mlp Head(int features, Generator rng) => new([features, o.Hidden, o.Dim], rng, new Mlp.Options(BatchNorm: true));

    /// <summary>The registry name.</summary>
    public const string MethodName = "byol";
    public override string Name => MethodName;
    public override Backbone Backbone => online.Backbone;
    public override int ViewCount => 2;
    public Encoder OnlineEncoder => online;
    public Mlp Predictor => predictor;
    public Encoder TargetEncoder => target;

    public override Tensor Loss(IReadOnlyList<Tensor> views, int[] indices)
    {
        CheckViews(views, indices, 2);
        var p1 = predictor.Forward(online.Forward(views[0]));                   // (N, D) q_θ(g_θ(f_θ(v)))
        var p2 = predictor.Forward(online.Forward(views[1]));                   // (N, D) q_θ(g_θ(f_θ(v′)))
        var z1 = TargetProjections(views[0]);                                   // (N, D) g_ξ(f_ξ(v)), no gradient
        var z2 = TargetProjections(views[1]);                                   // (N, D) g_ξ(f_ξ(v′))
        stepPending = true;
        return ByolLoss.Loss(p1, z2) + ByolLoss.Loss(p2, z1);                   // L + L̃ (Eq. 3)
    }

    /// <summary>z′ = g_ξ(f_ξ(x)) outside autograd (train-mode BN): (N, C, H, W) → (N, D).</summary>
    public Tensor TargetProjections(Tensor x)
    {
        using var _ = Grad.Disabled();
        return target.Forward(x);
    }

    /// <summary>τ after step <paramref name="step"/> of <paramref name="totalSteps"/> (cosine from τ_base to 1).</summary>
    public float MomentumAt(int step, int totalSteps) => MomentumEncoder.Momentum(o.BaseMomentum, cosine: true, step, totalSteps);

    /// <summary>ξ ← τ·ξ + (1−τ)·θ with the scheduled τ.</summary>
    public override void AfterStep(int step, int totalSteps)
    {
        if (!stepPending) return;
        MomentumEncoder.Update(from: online, to: target, MomentumAt(step, totalSteps));
        stepPending = false;
    }
}

/// <summary>BYOL's options (defaults: §3.2 and appendix C; the paper's output <see cref="MethodOptions.Dim"/> is 256).</summary>
public sealed record ByolOptions : MethodOptions
{
    /// <summary>Hidden width of the projector and the predictor MLPs (4096).</summary>
    public int Hidden { get; init; } = 4096;
    /// <summary>τ_base of the target network's exponential moving average, cosine-increased to 1 over the run (0.996).</summary>
    public float BaseMomentum { get; init; } = 0.996f;
}
