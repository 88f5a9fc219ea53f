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

    public override string Name => "barlowtwins";
    public override Backbone Backbone => backbone;
    public override int ViewCount => 2;
    public Mlp Projector => projector;

    public override Tensor Loss(IReadOnlyList<Tensor> views, int[] indices)
    {
        CheckViews(views, indices, 2);
        var z1 = projector.Forward(backbone.Forward(views[0]));                 // (N, D)
        var z2 = projector.Forward(backbone.Forward(views[1]));                 // (N, D)
        return BarlowTwinsLoss.Loss(z1, z2, o.Lambda);                          // scalar
    }

    public override IEnumerable<(string Name, Tensor Param)> OptimizerParameters() => NamedTrainableParameters();
}
