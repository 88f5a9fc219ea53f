namespace SelfSup.Methods.Losses;

/// <summary>
/// DenseCL's dense contrastive loss (Wang et al. 2021, §3.2–3.3, Eq. 2):
/// L_r = (1/S²) Σ_s −log( exp(r^s·t₊^s/τ) / (exp(r^s·t₊^s/τ) + Σ_k exp(r^s·t_k^s/τ)) ) over the S×S grid: one InfoNCE per
/// query location s, whose positive t₊^s is the key-view location matched by <see cref="Correspondence"/> and whose
/// negatives are the pooled dense keys of past images (the second queue). Here S denotes the number of locations h·w
/// (the paper's S²); as the official code, the mean runs over all N·S locations of the batch.
/// The method's total is <see cref="Combine"/>: L = (1−λ)·L_q + λ·L_r (Eq. 3).
/// </summary>
public static class DenseContrastiveLoss
{
    /// <summary>
    /// §3.3: "the correspondence ... is extracted by ... the backbone features": for each query location i the key
    /// location argmax_j cos(f_i, f′_j), from the two views' backbone maps (not the projections). Outside autograd.
    /// </summary>
    /// <param name="queryMaps">(N, C, h, w) or (N, C, S) backbone features of the query view.</param>
    /// <param name="keyMaps">The key view's, same shape.</param>
    /// <returns>(N, S): for each image and query location, the matched key location.</returns>
    public static IntTensor Correspondence(Tensor queryMaps, Tensor keyMaps)
    {
        if (queryMaps.Rank < 3 || !ShapeUtil.Equal(queryMaps.Shape, keyMaps.Shape))
            throw new ArgumentException($"correspondence needs two (N, C, h, w) maps of one shape; got {ShapeUtil.Format(queryMaps.Shape)} and {ShapeUtil.Format(keyMaps.Shape)}");
        using var _ = Grad.Disabled();
        int n = queryMaps.Shape[0], c = queryMaps.Shape[1];
        var q = Ops.Normalize(Ops.Reshape(queryMaps, n, c, -1), 1);             // (N, C, S) unit over C
        var k = Ops.Normalize(Ops.Reshape(keyMaps, n, c, -1), 1);               // (N, C, S)
        var similarity = Ops.MatMul(Ops.Transpose(q, 1, 2), k);                 // (N, S, S)  [n, i, j] = cos(f_i, f′_j)
        return Ops.Max(similarity, 2).indices;                                  // (N, S)
    }

    /// <summary>Mean InfoNCE over all N·S query locations.</summary>
    /// <param name="queryGrid">(N, D, S) dense query projections r, unit over D.</param>
    /// <param name="keyGrid">(N, D, S) dense key projections t, unit over D; no gradient flows into them.</param>
    /// <param name="match">(N, S) key location of each query location's positive.</param>
    /// <param name="negatives">(K, D) the dense queue.</param>
    /// <param name="temperature">τ (0.2).</param>
    public static Tensor Loss(Tensor queryGrid, Tensor keyGrid, IntTensor match, Tensor negatives, float temperature)
    {
        if (queryGrid.Rank != 3 || !ShapeUtil.Equal(queryGrid.Shape, keyGrid.Shape))
            throw new ArgumentException($"dense loss needs query and key grids (N, D, S) of one shape; got {ShapeUtil.Format(queryGrid.Shape)} and {ShapeUtil.Format(keyGrid.Shape)}");
        int n = queryGrid.Shape[0], d = queryGrid.Shape[1], s = queryGrid.Shape[2];
        if (match.Rank != 2 || match.Shape[0] != n || match.Shape[1] != s)
            throw new ArgumentException($"match must be (N, S) = ({n}, {s}), got {ShapeUtil.Format(match.Shape)}");
        var rows = new int[n * s];                                              // row of the matched key in (N·S, D)
        for (int i = 0; i < n; i++)
            for (int j = 0; j < s; j++)
            {
                int m = match.Data[i * s + j];
                if ((uint)m >= (uint)s) throw new ArgumentException($"matched location {m} out of range for {s} locations");
                rows[i * s + j] = i * s + m;
            }
        var r = Ops.Reshape(Ops.Permute(queryGrid, 0, 2, 1), n * s, d);        // (N·S, D) one query per location
        var t = Ops.Reshape(Ops.Permute(keyGrid.Detach(), 0, 2, 1), n * s, d);  // (N·S, D)
        var positives = Ops.IndexSelect(t, 0, rows);                            // (N·S, D) t₊ per query location
        return InfoNce.WithQueue(r, positives, negatives, temperature);         // logits (N·S, 1+K), positive at 0
    }

    /// <summary>L = (1−λ)·L_q + λ·L_r (Eq. 3).</summary>
    public static Tensor Combine(Tensor global, Tensor dense, float lambda) => global * (1 - lambda) + dense * lambda;
}
