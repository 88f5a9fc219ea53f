namespace SelfSup.Engine.Nn;

/// <summary>
/// A projection/prediction head: Linear → [BatchNorm1d] → ReLU for every hidden layer, then a plain Linear
/// (optionally followed by BatchNorm1d, as SimCLR v2's and MoCo v3's heads). The layers are flat children
/// "0", "1", ... like the torch nn.Sequential heads of the reference code, so state-dict keys match them
/// (e.g. MoCo v3's _build_mlp: 0 Linear, 1 BN, 2 ReLU, 3 Linear, 4 BN(affine=False)).
/// </summary>
public sealed class Mlp : Sequential
{
    /// <summary>Head options.</summary>
    /// <param name="BatchNorm">BatchNorm1d after each hidden Linear.</param>
    /// <param name="Bias">Bias on the Linears (off in MoCo v3 and Barlow Twins, where BN follows).</param>
    /// <param name="LastBatchNorm">BatchNorm1d after the last Linear (SimCLR v2, MoCo v3).</param>
    /// <param name="LastBatchNormAffine">Whether that last BN has weight and bias (MoCo v3: false).</param>
    /// <param name="LastBias">Bias on the last Linear; null = same as <paramref name="Bias"/>.</param>
    public sealed record Options(bool BatchNorm = true, bool Bias = true, bool LastBatchNorm = false,
        bool LastBatchNormAffine = true, bool? LastBias = null);

    /// <summary>Sizes: in, hidden..., out.</summary>
    public IReadOnlyList<int> Dims { get; }

    /// <param name="dims">in, hidden..., out (at least two entries: one Linear).</param>
    /// <param name="rng">Initialises the Linears (torch's default).</param>
    /// <param name="options">Defaults: BN after hidden layers, biases on, no last BN.</param>
    public Mlp(IReadOnlyList<int> dims, Generator rng, Options? options = null)
    {
        if (dims.Count < 2) throw new ArgumentException("an MLP needs at least an input and an output size");
        var o = options ?? new Options();
        Dims = dims.ToArray();
        int layers = dims.Count - 1;
        for (int l = 0; l < layers; l++)
        {
            bool last = l == layers - 1;
            Append(new Linear(dims[l], dims[l + 1], rng, bias: last ? o.LastBias ?? o.Bias : o.Bias));
            if (!last)
            {
                if (o.BatchNorm) Append(new BatchNorm1d(dims[l + 1]));
                Append(new ReLU());
            }
            else if (o.LastBatchNorm) Append(new BatchNorm1d(dims[l + 1], affine: o.LastBatchNormAffine));
        }
    }

    public int InFeatures => Dims[0];
    public int OutFeatures => Dims[^1];
}
