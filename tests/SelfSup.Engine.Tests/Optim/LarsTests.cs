using SelfSup.Engine;
using SelfSup.Engine.Optim;
using Xunit;

namespace SelfSup.Engine.Tests;

using static OptimTestUtil;

public class LarsTests
{
    [Fact]
    public void Trust_ratio_scales_the_decayed_gradient_by_eta_norm_p_over_norm_g()
    {
        // p0 = (3, 4) (‖p‖ = 5), constant g = (−0.3, 0.1), wd 0.1, η 0.02, lr 2, μ 0.9.
        // 1: g' = g + 0.1·p = (0, 0.5), ‖g'‖ = 0.5; q = 0.02·5/0.5 = 0.2; buf = q·g' = (0, 0.1);    p = (3, 4 − 0.2) = (3, 3.8)
        // 2: g' = (−0.3 + 0.3, 0.1 + 0.38) = (0, 0.48); ‖p‖ = √(9 + 14.44) = 4.8414874;
        //    q = 0.02·4.8414874/0.48 = 0.20172864; q·g' = (0, 0.096829749);
        //    buf = 0.9·(0, 0.1) + (0, 0.096829749) = (0, 0.18682975);                              p = (3, 3.8 − 0.3736595) = (3, 3.4263405)
        var p = Param([3, 4], 1, 2);
        var lars = new Lars(Named(("conv.weight", p)), lr: 2f, momentum: 0.9f, weightDecay: 0.1f, trustCoefficient: 0.02f);
        SetGrad(p, -0.3f, 0.1f); lars.Step();
        TensorAssert.Close([3f, 3.8f], p.ToArray(), atol: 1e-6f);
        SetGrad(p, -0.3f, 0.1f); lars.Step();
        TensorAssert.Close([3f, 3.4263405f], p.ToArray(), atol: 2e-6f);
    }

    [Fact]
    public void Trust_ratio_is_one_when_a_norm_is_zero()
    {
        Assert.Equal(1f, Lars.TrustRatio([0f, 0f], [1f, 2f], 1e-3f));
        Assert.Equal(1f, Lars.TrustRatio([1f, 2f], [0f, 0f], 1e-3f));
        Assert.Equal(1e-3f * 5f / 10f, Lars.TrustRatio([3f, 4f], [6f, 8f], 1e-3f), 1e-9f);
    }

    [Fact]
    public void Zero_initialised_weight_takes_an_unscaled_step()
    {
        // ‖p‖ = 0 → q = 1: p = 0 − lr·g = −0.5·(0.5, 0) = (−0.25, 0).
        var p = Param([0, 0], 2, 1);
        var lars = new Lars(Named(("w", p)), lr: 0.5f, weightDecay: 0.1f);
        SetGrad(p, 0.5f, 0); lars.Step();
        Assert.Equal([-0.25f, 0f], p.ToArray());
    }

    [Fact]
    public void Biases_and_norm_weights_get_neither_weight_decay_nor_adaptation()
    {
        // Rank-1 b0 = (1, 1), g = (0.25, −0.5), lr 2, μ 0.9, wd 0.1, η 1e-3: excluded, so
        // buf = g and b = (1 − 0.5, 1 + 1) = (0.5, 2). With wd and trust it would move by ~1e-3 only.
        var w = Param([3, 4], 1, 2);
        var b = Param([1, 1], 2);
        var lars = new Lars(Named(("fc.weight", w), ("bn.bias", b)), lr: 2f, weightDecay: 0.1f);
        Assert.Equal(2, lars.Groups.Count);
        Assert.False(lars.Groups[1].LarsAdaptation);
        Assert.Equal(0f, lars.Groups[1].WeightDecay);
        Assert.True(lars.Groups[0].LarsAdaptation);
        SetGrad(w, -0.3f, 0.1f); SetGrad(b, 0.25f, -0.5f);
        lars.Step();
        Assert.Equal([0.5f, 2f], b.ToArray());
        TensorAssert.Close([3f, 4f - 2f * 1e-3f * 5f], w.ToArray(), atol: 1e-6f);   // q·g' has norm η·‖p‖ = 0.005 along (0, 1)
    }

    [Fact]
    public void Without_exclusion_rank1_params_are_adapted_too()
    {
        var b = Param([3, 4], 2);
        var lars = new Lars(Named(("bias", b)), lr: 1f, momentum: 0f, trustCoefficient: 0.1f, excludeBiasAndNorm: false);
        Assert.Single(lars.Groups);
        SetGrad(b, 0, 10);                                           // q = 0.1·5/10 = 0.05 → step (0, 0.5)
        lars.Step();
        TensorAssert.Close([3f, 3.5f], b.ToArray(), atol: 1e-6f);
    }
}
