using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using SelfSup.Engine.Kernels;

namespace SelfSup.Methods.Losses;

/// <summary>
/// Noise-contrastive estimation for instance discrimination (Wu et al. 2018, §3.2; Gutmann &amp; Hyvärinen 2010).
/// The non-parametric softmax P(i|v) = exp(vᵢᵀf/τ)/Z is approximated with Z estimated once (Eq. 6: "Z ≈ n·E_j[exp(v_jᵀf/τ)]",
/// computed from the first batch as the official code does), and each sample is classified against K noise samples
/// from the uniform noise distribution P_n = 1/n: h(i, v) = P(i|v) / (P(i|v) + K·P_n), and
/// J_NCE = −E_{P_d}[log h(i, v)] − K·E_{P_n}[log(1 − h(i, v′))] (Eq. 5), summed over the K noise draws and
/// averaged over the batch, with the official NCECriterion's eps 1e-7 in the denominators.
/// </summary>
public static class Nce
{
    const float Eps = 1e-7f;                                                    // NCECriterion's eps

    /// <summary>
    /// exp(⟨bank[index[b, j]], f_b⟩ / τ): the unnormalised scores of sample b's positive (column 0) and its K noise rows.
    /// A fused gather-and-dot (the official code's index_select + bmm without materialising the (B, K+1, D) rows);
    /// the bank is constant, so only <paramref name="features"/> receives a gradient:
    /// ∂f_b = Σ_j dy[b, j]·s[b, j]/τ·bank[index[b, j]].
    /// </summary>
    /// <param name="features">(B, D) L2-normalised embeddings f.</param>
    /// <param name="bank">(n, D) memory bank rows v (read only).</param>
    /// <param name="index">(B, K+1) bank rows: column 0 the sample's own index, then the noise draws.</param>
    /// <param name="temperature">τ.</param>
    public static Tensor Scores(Tensor features, Tensor bank, IntTensor index, float temperature)
    {
        int b = features.Shape[0], d = features.Shape[1], k1 = index.Shape[1];
        if (features.Rank != 2 || bank.Rank != 2 || bank.Shape[1] != d || index.Rank != 2 || index.Shape[0] != b)
            throw new ArgumentException($"NCE scores need features (B, D), bank (n, D), index (B, K+1); got {ShapeUtil.Format(features.Shape)}, {ShapeUtil.Format(bank.Shape)}, {ShapeUtil.Format(index.Shape)}");
        foreach (var i in index.Data)
            if ((uint)i >= (uint)bank.Shape[0]) throw new ArgumentException($"NCE: bank row {i} out of range for a bank of {bank.Shape[0]}");
        var f = features.Contiguous(); var v = bank.Contiguous();
        var rows = index.Data;
        var scores = Tensor.Zeros(b, k1);                                       // (B, K+1)
        Workers.For(b, r =>
        {
            var fr = f.Data.AsSpan(f.Offset + r * d, d);
            for (int j = 0; j < k1; j++)
                scores.Data[r * k1 + j] = MathF.Exp(TensorPrimitives.Dot(v.Data.AsSpan(v.Offset + rows[r * k1 + j] * d, d), fr) / temperature);
        });
        return Graph.Record(scores, [f], dy =>
        {
            var g = dy.Contiguous();
            var df = Tensor.Zeros(b, d);                                        // (B, D)
            Workers.For(b, r =>
            {
                var dr = df.Data.AsSpan(r * d, d);
                for (int j = 0; j < k1; j++)
                {
                    float w = g.Data[g.Offset + r * k1 + j] * scores.Data[r * k1 + j] / temperature;
                    TensorPrimitives.MultiplyAdd(v.Data.AsSpan(v.Offset + rows[r * k1 + j] * d, d), w, dr, dr);
                }
            });
            return [df];
        });
    }

    /// <summary>Z = n·mean(scores) (Eq. 6, Monte-Carlo over the batch's positive and noise scores), as a plain number;
    /// with a group, the mean over every process's scores (the global batch's).</summary>
    public static float EstimateZ(Tensor scores, int datasetSize, IProcessGroup? group = null)
    {
        double sum = 0;
        foreach (var s in scores.ToArray()) sum += s;
        Span<double> total = [sum, scores.Numel];
        group?.AllReduceSum(total);
        return (float)(total[0] / total[1] * datasetSize);
    }

    /// <summary>
    /// J_NCE for P = scores / Z: −(Σ_b log(P_b0 / (P_b0 + K/n + ε)) + Σ_b Σ_{j≥1} log((K/n) / (P_bj + K/n + ε))) / B.
    /// </summary>
    /// <param name="scores">(B, K+1) from <see cref="Scores"/>, positive first.</param>
    /// <param name="z">The normalisation constant.</param>
    /// <param name="datasetSize">n (the noise distribution is uniform, P_n = 1/n).</param>
    public static Tensor Loss(Tensor scores, float z, int datasetSize)
    {
        int b = scores.Shape[0], k = scores.Shape[1] - 1;
        if (k < 1) throw new ArgumentException("NCE needs at least one noise sample");
        float kPn = (float)k / datasetSize;                                     // K·P_n
        var p = scores / z;                                                     // (B, K+1) P(i|v)
        var pos = p.Narrow(1, 0, 1);                                            // (B, 1)
        var noise = p.Narrow(1, 1, k);                                          // (B, K)
        var logHData = Ops.Log(pos / (pos + (kPn + Eps)));                      // (B, 1) log h(i, v)
        var logHNoise = MathF.Log(kPn) - Ops.Log(noise + (kPn + Eps));         // (B, K) log(1 − h) = log(K·P_n / (P + K·P_n + ε))
        return -(logHData.Sum() + logHNoise.Sum()) / b;                         // scalar
    }
}
