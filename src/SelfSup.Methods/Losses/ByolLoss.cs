namespace SelfSup.Methods.Losses;

/// <summary>
/// BYOL's regression loss (Grill et al. 2020, Eq. 2): the mean squared error between the l2-normalised prediction and
/// target projection, ‖p̄ − z̄′‖² = 2 − 2·⟨p, z′⟩/(‖p‖·‖z′‖), averaged over the batch, so in [0, 4]. The method adds it for
/// both view orders (Eq. 3: L + L̃, in [0, 8]) as the paper and the official code do.
/// </summary>
public static class ByolLoss
{
    /// <param name="prediction">Online predictions q_θ(z_θ) (N, D); gradients flow into them.</param>
    /// <param name="target">Target projections z′_ξ of the other view (N, D); treated as constants (stop-gradient).</param>
    public static Tensor Loss(Tensor prediction, Tensor target)
    {
        if (prediction.Rank != 2 || !ShapeUtil.Equal(prediction.Shape, target.Shape))
            throw new ArgumentException($"BYOL's loss needs two (N, D) batches; got {ShapeUtil.Format(prediction.Shape)} and {ShapeUtil.Format(target.Shape)}");
        var p = Ops.Normalize(prediction, 1);                                   // (N, D) unit rows
        var z = Ops.Normalize(target.Detach(), 1);                              // (N, D) unit rows, no gradient
        var cosine = Ops.Sum(p * z, 1);                                         // (N)
        return 2f - 2f * Ops.Mean(cosine);                                      // scalar
    }
}
