using SelfSup.Engine;
using SelfSup.Engine.Optim;
using Xunit;

namespace SelfSup.Engine.Tests;

using static OptimTestUtil;

public class AdamWTests
{
    [Fact]
    public void First_two_steps_match_hand_computation()
    {
        // lr 0.1, wd 0.1, β (0.9, 0.999), eps 1e-8, p0 = (1, −2); g1 = (0.5, −1), g2 = (−0.5, 2).
        // 1: p·(1 − 0.01) = (0.99, −1.98); m = 0.1·g1 = (0.05, −0.1); v = 0.001·g1² = (2.5e-4, 1e-3);
        //    m̂ = m/0.1 = (0.5, −1); √v̂ = √(v/0.001) = (0.5, 1); step m̂/√v̂ = (1, −1);   p = (0.89, −1.88)
        // 2: p·0.99 = (0.8811, −1.8612); m = 0.9·m + 0.1·g2 = (−0.005, 0.11);
        //    v = 0.999·v + 0.001·g2² = (4.9975e-4, 4.999e-3); bias corrections 0.19 and 0.001999;
        //    m̂ = (−0.02631579, 0.57894737); √v̂ = (0.5, 1.5813761); m̂/√v̂ = (−0.05263158, 0.36610353);
        //    p = (0.8811 + 0.005263158, −1.8612 − 0.036610353) = (0.88636316, −1.89781035)
        var p = Param([1, -2], 2);
        var adam = new AdamW(Named(("w", p)), lr: 0.1f, weightDecay: 0.1f);
        SetGrad(p, 0.5f, -1f); adam.Step();
        TensorAssert.Close([0.89f, -1.88f], p.ToArray(), atol: 1e-6f);
        SetGrad(p, -0.5f, 2f); adam.Step();
        TensorAssert.Close([0.88636316f, -1.89781035f], p.ToArray(), atol: 2e-6f);
    }

    [Fact]
    public void Defaults_are_torch_defaults()
    {
        var adam = new AdamW(Named(("w", Param([1, 2], 1, 2))));
        var g = adam.Groups[0];
        Assert.Equal((1e-3f, 0.9f, 0.999f, 1e-8f, 1e-2f), (g.Lr, g.Beta1, g.Beta2, g.Eps, g.WeightDecay));
    }

    [Fact]
    public void Excluded_rank1_params_are_not_decayed()
    {
        // Same first step as above without the decay: p = (1, −2) − 0.1·(1, −1) = (0.9, −1.9).
        var w = Param([1, -2], 1, 2);
        var b = Param([1, -2], 2);
        var adam = new AdamW(Named(("w", w), ("b", b)), lr: 0.1f, weightDecay: 0.1f, excludeBiasAndNorm: true);
        SetGrad(w, 0.5f, -1f); SetGrad(b, 0.5f, -1f);
        adam.Step();
        TensorAssert.Close([0.9f, -1.9f], b.ToArray(), atol: 1e-6f);
        TensorAssert.Close([0.89f, -1.88f], w.ToArray(), atol: 1e-6f);
    }

    [Fact]
    public void Each_parameter_counts_its_own_steps_for_bias_correction()
    {
        // b gets its first gradient at the optimiser's 2nd step: its update must be the first-step
        // update lr·sign(g) = 0.1, not one bias-corrected as step 2.
        var w = Param([1, 1], 1, 2);
        var b = Param([1, 1], 2);
        var adam = new AdamW(Named(("w", w), ("b", b)), lr: 0.1f, weightDecay: 0f);
        SetGrad(w, 1, 1); adam.Step();
        SetGrad(w, 1, 1); SetGrad(b, 2, -3); adam.Step();
        TensorAssert.Close([0.9f, 1.1f], b.ToArray(), atol: 1e-6f);
        Assert.Equal(1, adam.StateDict().Int("state.1.step").Data[0]);
    }
}
