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
    public static Tensor Loss(Tensor z1, Tensor z2, float lambda)
    {
        if (z1.Rank != 2 || !ShapeUtil.Equal(z1.Shape, z2.Shape))
            throw new ArgumentException($"Barlow Twins needs two (N, D) batches; got {ShapeUtil.Format(z1.Shape)} and {ShapeUtil.Format(z2.Shape)}");
        int n = z1.Shape[0];
        if (n < 2) throw new ArgumentException("Barlow Twins standardises over the batch: it needs at least 2 samples");
        var a = Standardise(z1);                                                // (N, D)
        var b = Standardise(z2);                                                // (N, D)
        var c = Ops.MatMul(a.T, b) / n;                                         // (D, D) cross-correlation
        var diagonal = Ops.Sum(a * b, 0) / n;                                   // (D)    Cᵢᵢ
        var invariance = Ops.Sum((1f - diagonal) * (1f - diagonal));            // Σ (1 − Cᵢᵢ)²
        var redundancy = Ops.Sum(c * c) - Ops.Sum(diagonal * diagonal);         // Σ_{i≠j} Cᵢⱼ²
        return invariance + lambda * redundancy;                                // scalar
    }

    /// <summary>(z − mean) / √(biased var + ε) per feature over the batch: (N, D) → (N, D).</summary>
    public static Tensor Standardise(Tensor z) => Ops.BatchNorm(z, null, null, null, null, training: true, eps: Eps);
}
