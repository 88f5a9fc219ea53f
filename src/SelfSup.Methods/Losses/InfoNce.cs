namespace SelfSup.Methods.Losses;

/// <summary>
/// InfoNCE (van den Oord et al. 2018; the contrastive loss of MoCo, He et al. 2020, Eq. 1):
/// L_q = −log( exp(q·k₊/τ) / Σᵢ exp(q·kᵢ/τ) ), a (1+K)-way softmax cross-entropy that picks the positive.
/// One implementation serves both sources of negatives: <see cref="WithQueue"/> takes them from a queue of past keys
/// (MoCo), <see cref="FromSimilarities"/> takes any similarity matrix with the positive's column per row (SimCLR's
/// in-batch negatives, <see cref="NtXent"/>). Inputs are expected L2-normalised (dot product = cosine similarity).
/// </summary>
public static class InfoNce
{
    /// <summary>
    /// MoCo's loss (Algorithm 1): logits = [q·k, q·queueᵀ] / τ with the positive at index 0, mean over the batch.
    /// </summary>
    /// <param name="q">Queries (N, D).</param>
    /// <param name="k">Positive keys (N, D); row i is query i's positive.</param>
    /// <param name="negatives">Negative keys (K, D), e.g. the feature queue; no gradient flows into them.</param>
    /// <param name="temperature">τ (MoCo v1 0.07, v2 0.2).</param>
    public static Tensor WithQueue(Tensor q, Tensor k, Tensor negatives, float temperature)
    {
        if (q.Rank != 2 || !ShapeUtil.Equal(q.Shape, k.Shape) || negatives.Rank != 2 || negatives.Shape[1] != q.Shape[1])
            throw new ArgumentException($"InfoNCE needs q (N, D), k (N, D), negatives (K, D); got {ShapeUtil.Format(q.Shape)}, {ShapeUtil.Format(k.Shape)}, {ShapeUtil.Format(negatives.Shape)}");
        int n = q.Shape[0];
        var positive = Ops.Sum(q * k, 1, keepDim: true);                        // (N, 1)   l_pos = q·k₊
        var negative = Ops.MatMul(q, negatives.Detach().T);                     // (N, K)   l_neg = q·queueᵀ
        var logits = Ops.Cat([positive, negative], 1);                          // (N, 1+K)
        return FromSimilarities(logits, IntTensor.Zeros(n), temperature);       // positives are the 0-th
    }

    /// <summary>
    /// Cross-entropy of similarities / τ against the positive's column in each row, mean over rows.
    /// Entries to exclude (an embedding's similarity with itself) must already be masked to a large negative value.
    /// </summary>
    /// <param name="similarities">(R, C) cosine similarities.</param>
    /// <param name="positives">(R) column of each row's positive.</param>
    /// <param name="temperature">τ.</param>
    public static Tensor FromSimilarities(Tensor similarities, IntTensor positives, float temperature) =>
        Ops.CrossEntropy(similarities / temperature, positives);                // scalar
}
