using SelfSup.Engine;
using SelfSup.Engine.Optim;
using Xunit;

namespace SelfSup.Engine.Tests;

using static OptimTestUtil;

public class SgdTests
{
    [Fact]
    public void Momentum_trajectory_on_half_squared_norm_matches_hand_computation()
    {
        // loss ½‖p‖², so g = p. lr 0.1, μ 0.9, p0 = (1, 2).
        // 1: g = (1, 2);     buf = g = (1, 2);                     p = (1, 2) − 0.1·(1, 2)     = (0.9, 1.8)
        // 2: g = (0.9, 1.8); buf = 0.9·(1, 2) + g = (1.8, 3.6);    p = (0.9, 1.8) − (0.18, 0.36) = (0.72, 1.44)
        // 3: g = (0.72, 1.44); buf = 0.9·(1.8, 3.6) + g = (2.34, 4.68); p = (0.72, 1.44) − (0.234, 0.468) = (0.486, 0.972)
        var p = Param([1, 2], 2);
        var sgd = new Sgd(Named(("w", p)), lr: 0.1f, momentum: 0.9f);
        float[][] expected = [[0.9f, 1.8f], [0.72f, 1.44f], [0.486f, 0.972f]];
        foreach (var e in expected)
        {
            GradOfHalfSquaredNorm(p);
            sgd.Step();
            TensorAssert.Close(e, p.ToArray(), atol: 1e-6f);
        }
    }

    [Fact]
    public void Nesterov_with_weight_decay_matches_hand_computation()
    {
        // g = p (½‖p‖²) plus coupled wd 0.1, so g' = 1.1·p. lr 0.1, μ 0.9, Nesterov, p0 = (1, −2).
        // 1: g' = (1.1, −2.2); buf = g' ;               update = g' + 0.9·buf = (2.09, −4.18);     p = (0.791, −1.582)
        // 2: g' = (0.8701, −1.7402); buf = 0.9·(1.1, −2.2) + g' = (1.8601, −3.7202);
        //    update = g' + 0.9·buf = (2.54419, −5.08838);                                          p = (0.536581, −1.073162)
        // 3: g' = (0.5902391, −1.1804782); buf = 0.9·1.8601 + 0.5902391 = 2.2643291 (×−2 for the 2nd);
        //    update = 0.5902391 + 0.9·2.2643291 = 2.62813529;                                      p = (0.27376747, −0.54753494)
        var p = Param([1, -2], 2);
        var sgd = new Sgd(Named(("w", p)), lr: 0.1f, momentum: 0.9f, weightDecay: 0.1f, nesterov: true);
        float[][] expected = [[0.791f, -1.582f], [0.536581f, -1.073162f], [0.27376747f, -0.54753494f]];
        foreach (var e in expected)
        {
            GradOfHalfSquaredNorm(p);
            sgd.Step();
            TensorAssert.Close(e, p.ToArray(), atol: 1e-6f);
        }
    }

    [Fact]
    public void Plain_sgd_with_weight_decay_adds_wd_times_p_to_the_gradient()
    {
        // lr 0.5, wd 0.2, constant g = (1, −1), p0 = (2, 4).
        // 1: g' = (1 + 0.4, −1 + 0.8) = (1.4, −0.2);   p = (2 − 0.7, 4 + 0.1) = (1.3, 4.1)
        // 2: g' = (1 + 0.26, −1 + 0.82) = (1.26, −0.18); p = (1.3 − 0.63, 4.1 + 0.09) = (0.67, 4.19)
        var p = Param([2, 4], 1, 2);
        var sgd = new Sgd(Named(("w", p)), lr: 0.5f, weightDecay: 0.2f);
        SetGrad(p, 1, -1); sgd.Step();
        TensorAssert.Close([1.3f, 4.1f], p.ToArray(), atol: 1e-6f);
        SetGrad(p, 1, -1); sgd.Step();
        TensorAssert.Close([0.67f, 4.19f], p.ToArray(), atol: 1e-6f);
    }

    [Fact]
    public void Dampening_is_not_applied_on_the_first_step()
    {
        // μ 0.5, dampening 0.5, lr 1, constant g = (1, 2), p0 = 0.
        // 1: buf = g = (1, 2) (torch copies g undamped);  p = (−1, −2)
        // 2: buf = 0.5·(1, 2) + 0.5·(1, 2) = (1, 2);      p = (−2, −4)   (a damped first step would give buf 0.5·g, then 0.75·g)
        var p = Param([0, 0], 2);
        var sgd = new Sgd(Named(("w", p)), lr: 1f, momentum: 0.5f, dampening: 0.5f);
        SetGrad(p, 1, 2); sgd.Step();
        Assert.Equal([-1f, -2f], p.ToArray());
        SetGrad(p, 1, 2); sgd.Step();
        Assert.Equal([-2f, -4f], p.ToArray());
    }

    [Fact]
    public void Excluding_bias_and_norm_puts_rank1_params_in_a_group_without_weight_decay()
    {
        var w = Param([1, 1], 1, 2);
        var b = Param([1, 1], 2);
        var sgd = new Sgd(Named(("fc.weight", w), ("fc.bias", b)), lr: 1f, weightDecay: 0.5f, excludeBiasAndNorm: true);
        Assert.Equal(2, sgd.Groups.Count);
        Assert.Equal("fc.bias", sgd.Groups[1].Parameters[0].Name);
        SetGrad(w, 0, 0); SetGrad(b, 0, 0);
        sgd.Step();
        Assert.Equal([0.5f, 0.5f], w.ToArray());                   // p − 1·(0 + 0.5·p)
        Assert.Equal([1f, 1f], b.ToArray());                       // no decay on the bias
    }

    [Fact]
    public void Nesterov_without_momentum_is_rejected() =>
        Assert.Throws<ArgumentException>(() => new Sgd(Named(("w", Param([1], 1))), lr: 0.1f, nesterov: true));

    [Fact]
    public void Same_parameter_twice_is_rejected()
    {
        var p = Param([1, 2], 2);
        Assert.Throws<ArgumentException>(() => new Sgd(Named(("a", p), ("b", p)), lr: 0.1f));
    }
}
