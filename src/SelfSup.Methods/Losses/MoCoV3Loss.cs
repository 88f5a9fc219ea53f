namespace SelfSup.Methods.Losses;

/// <summary>
/// MoCo v3's contrastive loss (Chen et al. 2021, §3, Algorithm 1): with q and k L2-normalised,
/// ctr(q, k) = CE(q·kᵀ/τ, [0, 1, …, N−1]) · 2τ — each query's positive is the key of the same image from the other
/// view, the other N−1 keys of the batch are its negatives (no queue). The factor 2τ is the official code's (it makes the
/// gradient's scale independent of τ). The method symmetrises it: ctr(q₁, k₂) + ctr(q₂, k₁).
/// </summary>
public static class MoCoV3Loss
{
    /// <param name="q">Queries (N, D), predictor outputs; not yet normalised; gradients flow into them.</param>
    /// <param name="k">Keys (N, D) from the momentum encoder, row i the positive of query i; constants (stop-gradient).</param>
    /// <param name="temperature">τ (1.0 for ResNets, 0.2 for ViTs).</param>
    /// <param name="group">With several processes each holding N rows of the global batch: the keys of every process
    /// are the candidates (the official concat_all_gather, no gradient) and query i's positive is column rank·N + i.</param>
    public static Tensor Contrastive(Tensor q, Tensor k, float temperature, IProcessGroup? group = null)
    {
        if (q.Rank != 2 || !ShapeUtil.Equal(q.Shape, k.Shape))
            throw new ArgumentException($"MoCo v3's loss needs q and k of one (N, D) shape; got {ShapeUtil.Format(q.Shape)} and {ShapeUtil.Format(k.Shape)}");
        int n = q.Shape[0];
        var qn = Ops.Normalize(q, 1);                                           // (N, D) unit rows
        var kn = Ops.AllGather(Ops.Normalize(k.Detach(), 1), group);            // (WN, D) unit rows of every rank, no gradient
        var logits = Ops.MatMul(qn, kn.T);                                      // (N, WN) q·kᵀ
        int first = (group?.Rank ?? 0) * n;
        var labels = IntTensor.From(Enumerable.Range(first, n).ToArray());     // (N) labels = arange(N) + rank·N
        return InfoNce.FromSimilarities(logits, labels, temperature) * (2 * temperature);   // scalar
    }

    /// <summary>ctr(q₁, k₂) + ctr(q₂, k₁): the two views' queries against the other view's keys.</summary>
    public static Tensor Symmetric(Tensor q1, Tensor q2, Tensor k1, Tensor k2, float temperature, IProcessGroup? group = null) =>
        Contrastive(q1, k2, temperature, group) + Contrastive(q2, k1, temperature, group);
}
