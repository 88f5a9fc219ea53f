using SelfSup.Methods.Losses;

namespace SelfSup.Methods;

/// <summary>
/// Barlow Twins (Zbontar et al. 2021, "Barlow Twins: Self-Supervised Learning via Redundancy Reduction", Algorithm 1):
/// both views go through the same encoder f and projector g (each view on its own, BN statistics per view, as the
/// official code); the cross-correlation of the batch-standardised embeddings is pushed to the identity
/// (<see cref="BarlowTwinsLoss"/>). The projector is Linear → BN → ReLU → Linear → BN → ReLU → Linear without biases
/// (8192-8192-8192 in the paper). No state between steps. State-dict: "backbone.", "head.".
/// </summary>
public sealed class BarlowTwins : SslMethod
{
    readonly BarlowTwinsOptions o;
    readonly Backbone backbone;                           // f
    readonly Mlp projector;                             // g

    public BarlowTwins(BarlowTwinsOptions options, Generator rng)
    {
        o = options;
        backbone = Child("backbone", BuildBackbone(options, rng));
        projector = Child("head", new Mlp([backbone.FeatureDim, options.Hidden, options.Hidden, options.Dim], rng,
            new Mlp.Options(BatchNorm: true, Bias: false)));
    }

    /// <summary>The registry name.</summary>
    public const string MethodName = "barlowtwins";
    public override string Name => MethodName;
    public override Backbone Backbone => backbone;
    public override int ViewCount => 2;
    public Mlp Projector => projector;

    public override Tensor Loss(IReadOnlyList<Tensor> views, int[] indices)
    {
        CheckViews(views, indices, 2);
        var z1 = projector.Forward(backbone.Forward(views[0]));                 // (N, D)
        var z2 = projector.Forward(backbone.Forward(views[1]));                 // (N, D)
        return BarlowTwinsLoss.Loss(z1, z2, o.Lambda, Group);                   // scalar, over the global batch
    }

}

/// <summary>Barlow Twins' options (defaults: §4 and facebookresearch/barlowtwins; the paper's <see cref="MethodOptions.Dim"/>
/// is 8192).</summary>
public sealed record BarlowTwinsOptions : MethodOptions
{
    /// <summary>Width of the projector's two hidden layers (8192; its output is <see cref="MethodOptions.Dim"/>).</summary>
    public int Hidden { get; init; } = 8192;
    /// <summary>λ weighting the redundancy-reduction (off-diagonal) term (0.0051, tuned for D = 8192).</summary>
    public float Lambda { get; init; } = 0.0051f;
}
