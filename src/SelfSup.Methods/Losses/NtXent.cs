namespace SelfSup.Methods.Losses;

/// <summary>
/// NT-Xent, the normalised temperature-scaled cross-entropy of SimCLR (Chen et al. 2020, Eq. 1):
/// ℓ(i, j) = −log( exp(sim(zᵢ, zⱼ)/τ) / Σ_{k≠i} exp(sim(zᵢ, z_k)/τ) ) over the 2N views of a batch, averaged over
/// all 2N anchors ("computed across all positive pairs, both (i, j) and (j, i)"). Each anchor has one positive
/// (its other view) and 2N−2 negatives; its similarity with itself is masked out.
/// Scale: this is the mean over the 2N anchors as in the common PyTorch implementations; the official TensorFlow code
/// adds the two directions' means, i.e. twice this value (only the effective learning rate differs, and LARS'
/// per-layer trust ratio cancels most of that).
/// </summary>
public static class NtXent
{
    /// <summary>Subtracted from an anchor's self-similarity logit (SimCLR's LARGE_NUM): exp of it is exactly 0.</summary>
    const float Masked = 1e9f;

    /// <param name="z1">First views' projections (N, D); need not be normalised (sim is the cosine).</param>
    /// <param name="z2">Second views' projections (N, D); row i is the positive of z1's row i.</param>
    /// <param name="temperature">τ (0.5 for CIFAR-sized data, 0.1 for ImageNet with large batches).</param>
    public static Tensor Loss(Tensor z1, Tensor z2, float temperature)
    {
        if (z1.Rank != 2 || !ShapeUtil.Equal(z1.Shape, z2.Shape))
            throw new ArgumentException($"NT-Xent needs two (N, D) batches; got {ShapeUtil.Format(z1.Shape)} and {ShapeUtil.Format(z2.Shape)}");
        int n = z1.Shape[0];
        var z = Ops.Normalize(Ops.Cat([z1, z2], 0), 1);                         // (2N, D)  unit rows
        var sim = Ops.MatMul(z, z.T);                                           // (2N, 2N) cosine similarities
        var logits = sim + SelfMask(2 * n, Masked * temperature);               // (2N, 2N) self-similarity → −1e9 after /τ
        var positives = new int[2 * n];                                         // (2N)     view i ↔ view i±N
        for (int i = 0; i < n; i++) { positives[i] = i + n; positives[i + n] = i; }
        return InfoNce.FromSimilarities(logits, new IntTensor(positives, 2 * n), temperature);
    }

    static Tensor SelfMask(int size, float value)
    {
        var mask = Tensor.Zeros(size, size);                                    // (2N, 2N) −value on the diagonal
        for (int i = 0; i < size; i++) mask[i, i] = -value;
        return mask;
    }
}
