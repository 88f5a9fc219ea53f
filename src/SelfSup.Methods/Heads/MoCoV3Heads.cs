namespace SelfSup.Methods.Heads;

/// <summary>
/// MoCo v3's projector and predictor (Chen et al. 2021, §4: "the projection head is a 3-layer MLP … the prediction head
/// is a 2-layer MLP", BN on the hidden layers and the output of the projector, following SimCLR). Built as the official
/// builder.py's <c>_build_mlp</c>: Linear(bias=False) → BN → ReLU per hidden layer, then Linear(bias=False) and, with
/// last BN, BatchNorm1d(affine=False). Keys "0.weight", "1.weight", …, as its nn.Sequential.
/// </summary>
public static class MoCoV3Heads
{
    /// <summary>The official <c>_build_mlp(layers, inFeatures, hidden, outFeatures, lastBatchNorm)</c>.</summary>
    public static Mlp Build(int layers, int inFeatures, int hidden, int outFeatures, bool lastBatchNorm, Generator rng)
    {
        if (layers < 1) throw new ArgumentException($"an MLP head needs at least one layer, not {layers}");
        var dims = new[] { inFeatures }.Concat(Enumerable.Repeat(hidden, layers - 1)).Append(outFeatures).ToArray();
        return new Mlp(dims, rng, new Mlp.Options(BatchNorm: true, Bias: false, LastBatchNorm: lastBatchNorm, LastBatchNormAffine: false));
    }

    /// <summary>Projector g: features (F) → <paramref name="outFeatures"/>, ending in BN without affine (2 layers for
    /// ResNets, 3 for ViTs).</summary>
    public static Mlp Projector(int layers, int inFeatures, int hidden, int outFeatures, Generator rng) =>
        Build(layers, inFeatures, hidden, outFeatures, lastBatchNorm: true, rng);

    /// <summary>Predictor q: 2 layers, D → hidden → D; last BN only for ViTs (MoCo_ViT keeps <c>last_bn=True</c>).</summary>
    public static Mlp Predictor(int dim, int hidden, bool lastBatchNorm, Generator rng) =>
        Build(2, dim, hidden, dim, lastBatchNorm, rng);
}
