namespace SelfSup.Methods.Heads;

/// <summary>The projection heads g(·) that map backbone features h to the space where the loss is computed,
/// built as <see cref="Mlp"/> so state-dict keys read like the reference code's nn.Sequential ("0.weight", ...).</summary>
public static class ProjectionHeads
{
    /// <summary>A single Linear (InstDisc's fc to the 128-d embedding, Wu et al. 2018 §3.1; MoCo v1's fc).</summary>
    public static Mlp Linear(int inFeatures, int outFeatures, Generator rng) =>
        new([inFeatures, outFeatures], rng, new Mlp.Options(BatchNorm: false));

    /// <summary>MoCo v2's head (Chen et al. 2020, "Improved Baselines", §2: "a 2-layer MLP head (hidden layer 2048-d, with
    /// ReLU)"): Linear(F, F) → ReLU → Linear(F, D), hidden = backbone width as the official code, no BN.</summary>
    public static Mlp MoCoV2(int inFeatures, int outFeatures, Generator rng) =>
        new([inFeatures, inFeatures, outFeatures], rng, new Mlp.Options(BatchNorm: false));

    /// <summary>
    /// SimCLR's head (Chen et al. 2020, §2.1: "g(h) = W⁽²⁾σ(W⁽¹⁾h)", with BN on the hidden layer as the official code):
    /// Linear(F, F) → BN → ReLU → Linear(F, D) for 2 layers. With 3 layers it is SimCLR v2's deeper head (Chen et al.
    /// 2020b, §2): BN after every Linear, the last BN without centring (the official keeps its scale; Nn.Mlp can only drop both, so here it has neither).
    /// </summary>
    public static Mlp SimClr(int inFeatures, int outFeatures, int layers, Generator rng)
    {
        if (layers is < 2 or > 3) throw new ArgumentException($"SimCLR's head has 2 or 3 layers, not {layers}");
        var dims = Enumerable.Repeat(inFeatures, layers).Append(outFeatures).ToArray();
        return layers == 2
            ? new Mlp(dims, rng, new Mlp.Options(BatchNorm: true))
            : new Mlp(dims, rng, new Mlp.Options(BatchNorm: true, Bias: false, LastBatchNorm: true, LastBatchNormAffine: false));
    }
}
