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
    /// <param name="group">With several processes, each holding N rows of a global batch of W·N: this process's 2N
    /// anchors are compared with all 2WN views, gathered with their gradient (the official code's cross-replica
    /// negatives), and the loss is the mean over this process's anchors — the mean over the processes is then one
    /// process's loss on the global batch.</param>
    public static Tensor Loss(Tensor z1, Tensor z2, float temperature, IProcessGroup? group = null)
    {
        if (z1.Rank != 2 || !ShapeUtil.Equal(z1.Shape, z2.Shape))
            throw new ArgumentException($"NT-Xent needs two (N, D) batches; got {ShapeUtil.Format(z1.Shape)} and {ShapeUtil.Format(z2.Shape)}");
        int n = z1.Shape[0], world = group?.Size ?? 1, rank = group?.Rank ?? 0, all = world * n;
        var u1 = Ops.Normalize(z1, 1); var u2 = Ops.Normalize(z2, 1);           // (N, D)   unit rows
        var anchors = Ops.Cat([u1, u2], 0);                                     // (2N, D)  this process's views
        var views = world == 1 ? anchors : Ops.Cat([Ops.AllGather(u1, group), Ops.AllGather(u2, group)], 0);   // (2WN, D)
        var sim = Ops.MatMul(anchors, views.T);                                 // (2N, 2WN) cosine similarities
        var self = new int[2 * n];                                              // (2N)     each anchor's own column
        var positives = new int[2 * n];                                         // (2N)     view i ↔ view i±WN
        for (int i = 0; i < n; i++)
        {
            (self[i], self[i + n]) = (rank * n + i, all + rank * n + i);
            (positives[i], positives[i + n]) = (self[i + n], self[i]);
        }
        var logits = sim + SelfMask(2 * n, 2 * all, self, Masked * temperature);    // self-similarity → −1e9 after /τ
        return InfoNce.FromSimilarities(logits, new IntTensor(positives, 2 * n), temperature);
    }

    static Tensor SelfMask(int rows, int columns, int[] self, float value)
    {
        var mask = Tensor.Zeros(rows, columns);                                 // (R, C) −value at each row's own column
        for (int i = 0; i < rows; i++) mask[i, self[i]] = -value;
        return mask;
    }
}
