using SelfSup.Methods.Heads;
using SelfSup.Methods.Losses;

namespace SelfSup.Methods;

/// <summary>
/// SimCLR (Chen et al. 2020, "A Simple Framework for Contrastive Learning of Visual Representations", Algorithm 1):
/// two augmented views of each image go through the same encoder f and projection head g; NT-Xent over the 2N
/// projections treats the other view as the positive and the remaining 2N−2 as negatives. No state between steps.
/// State-dict: "backbone.", "head.".
/// </summary>
public sealed class SimClr : SslMethod
{
    readonly SimClrOptions o;
    readonly Backbone backbone;                           // f
    readonly Mlp head;                                  // g

    public SimClr(SimClrOptions options, Generator rng)
    {
        o = options;
        backbone = Child("backbone", BuildBackbone(options, rng));
        head = Child("head", ProjectionHeads.SimClr(backbone.FeatureDim, options.Dim, options.HeadLayers, rng));
    }

    /// <summary>The registry name.</summary>
    public const string MethodName = "simclr";
    public override string Name => MethodName;
    public override Backbone Backbone => backbone;
    public override int ViewCount => 2;
    public Mlp Head => head;

    public override Tensor Loss(IReadOnlyList<Tensor> views, int[] indices)
    {
        CheckViews(views, indices, 2);
        int n = views[0].Shape[0];
        var x = Ops.Cat([views[0], views[1]], 0);                               // (2N, C, H, W) both views in one batch
        var z = head.Forward(backbone.Forward(x));                              // (2N, D)  z = g(f(x)); BN sees all 2N
        return NtXent.Loss(z.Narrow(0, 0, n), z.Narrow(0, n, n), o.Temperature, Group);   // scalar; negatives from every rank
    }

}

/// <summary>SimCLR's options (defaults: google-research/simclr's ImageNet run).</summary>
public sealed record SimClrOptions : MethodOptions
{
    /// <summary>τ (0.1 with large batches on ImageNet, 0.5 on CIFAR-10: appendix B.9).</summary>
    public float Temperature { get; init; } = 0.1f;
    /// <summary>Projection-head layers: 2 (SimCLR) or 3 (SimCLR v2).</summary>
    public int HeadLayers { get; init; } = 2;
}
