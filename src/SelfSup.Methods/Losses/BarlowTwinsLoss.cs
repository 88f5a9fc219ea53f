namespace SelfSup.Methods.Losses;

/// <summary>
/// The Barlow Twins loss (Zbontar et al. 2021, Eq. 1–2): with embeddings standardised per feature over the batch
/// (mean 0, biased std 1, as the official <c>BatchNorm1d(affine=False)</c>), the cross-correlation matrix
/// C = z̃₁ᵀz̃₂ / N (D, D) is pushed to the identity:
/// L = Σᵢ (1 − Cᵢᵢ)² + λ Σᵢ Σ_{j≠i} Cᵢⱼ².
/// The off-diagonal sum is computed as Σ C² − Σ Cᵢᵢ² (no D×D mask); Cᵢᵢ comes from the column products directly.
/// The standardisation keeps no running statistics (the official module's are never used in training).
/// </summary>
public static class BarlowTwinsLoss
{
    /// <summary>BN's ε in the standardisation (torch's default, as the official code).</summary>
    public const float Eps = 1e-5f;

    /// <param name="z1">First views' projections (N, D).</param>
    /// <param name="z2">Second views' projections (N, D); row i is the other view of z1's row i.</param>
    /// <param name="lambda">λ of the redundancy-reduction term (0.0051).</param>
    /// <param name="group">With several processes each holding N rows of a global batch of W·N, as the official code:
    /// the standardisation uses the global batch's statistics (its SyncBN) and C is summed over the processes
    /// (all_reduce) and divided by W·N, with the gradients of both going to every process; every process then has the
    /// same loss, one process's on the global batch.</param>
    public static Tensor Loss(Tensor z1, Tensor z2, float lambda, IProcessGroup? group = null)
    {
        if (z1.Rank != 2 || !ShapeUtil.Equal(z1.Shape, z2.Shape))
            throw new ArgumentException($"Barlow Twins needs two (N, D) batches; got {ShapeUtil.Format(z1.Shape)} and {ShapeUtil.Format(z2.Shape)}");
        int n = z1.Shape[0] * (group?.Size ?? 1);                               // the global batch
        if (n < 2) throw new ArgumentException("Barlow Twins standardises over the batch: it needs at least 2 samples");
        var a = Standardise(z1, group);                                         // (N, D)
        var b = Standardise(z2, group);                                         // (N, D)
        var c = Ops.AllReduceSum(Ops.MatMul(a.T, b), group) / n;                // (D, D) cross-correlation
        var diagonal = Ops.AllReduceSum(Ops.Sum(a * b, 0), group) / n;         // (D)    Cᵢᵢ
        var invariance = Ops.Sum((1f - diagonal) * (1f - diagonal));            // Σ (1 − Cᵢᵢ)²
        var redundancy = Ops.Sum(c * c) - Ops.Sum(diagonal * diagonal);         // Σ_{i≠j} Cᵢⱼ²
        return invariance + lambda * redundancy;                                // scalar
    }

    /// <summary>(z − mean) / √(biased var + ε) per feature over the batch (every process's, with a group): (N, D) → (N, D).</summary>
    public static Tensor Standardise(Tensor z, IProcessGroup? group = null) =>
        Ops.BatchNorm(z, null, null, null, null, training: true, eps: Eps, group: group);
}
