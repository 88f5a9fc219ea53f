using SelfSup.Engine;
using SelfSup.Engine.Nn;
using Xunit;

namespace SelfSup.Engine.Tests;

public class InitTests
{
    static double Std(float[] v)
    {
        double mean = v.Average(x => (double)x);
        return Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / v.Length);
    }

    [Fact]
    public void Fans_follow_torch_for_linear_and_conv_weights()
    {
        Assert.Equal((5, 3), Init.Fans([3, 5]));
        Assert.Equal((32 * 9, 64 * 9), Init.Fans([64, 32, 3, 3]));
    }

    [Fact]
    public void Kaiming_normal_fan_out_has_std_sqrt_2_over_fan_out()
    {
        var w = Tensor.Zeros(64, 32, 3, 3);                                   // fan_out 576
        Init.KaimingNormal(w, new Generator(5));
        double expected = Math.Sqrt(2.0 / 576);
        Assert.InRange(Std(w.ToArray()), expected * 0.97, expected * 1.03);
        Assert.InRange(w.ToArray().Average(), -0.002, 0.002);
        Init.KaimingNormal(w, new Generator(5), FanMode.FanIn);
        Assert.InRange(Std(w.ToArray()), Math.Sqrt(2.0 / 288) * 0.97, Math.Sqrt(2.0 / 288) * 1.03);
    }

    [Fact]
    public void Linear_default_draws_weight_and_bias_from_plus_minus_one_over_sqrt_fan_in()
    {
        var linear = new Linear(100, 200, new Generator(3));
        float bound = 0.1f;
        var w = linear.Weight.ToArray();
        Assert.All(w, v => Assert.InRange(v, -bound, bound));
        Assert.True(w.Max() > 0.099f && w.Min() < -0.099f, "the whole interval is used");
        Assert.InRange(Std(w), bound / Math.Sqrt(3) * 0.97, bound / Math.Sqrt(3) * 1.03);   // uniform's std
        var b = linear.Bias!.ToArray();
        Assert.All(b, v => Assert.InRange(v, -bound, bound));
        Assert.True(b.Max() > 0.08f && b.Min() < -0.08f);
    }

    [Fact]
    public void Xavier_uniform_bound_is_sqrt_6_over_fan_sum()
    {
        var w = Tensor.Zeros(300, 100);
        Init.XavierUniform(w, new Generator(4));
        float bound = MathF.Sqrt(6f / 400);
        Assert.All(w.ToArray(), v => Assert.InRange(v, -bound, bound));
        Assert.True(w.ToArray().Max() > bound * 0.99f);
    }

    [Fact]
    public void Truncated_normal_stays_within_two_std_with_the_truncated_spread()
    {
        var t = Tensor.Zeros(20000);
        Init.TruncatedNormal(t, new Generator(6), std: 0.02f);
        var v = t.ToArray();
        Assert.All(v, x => Assert.InRange(x, -0.04f, 0.04f));
        Assert.True(v.Max() > 0.039f);
        // std of a standard normal truncated to [−2, 2] is 0.8796
        Assert.InRange(Std(v), 0.02 * 0.8796 * 0.97, 0.02 * 0.8796 * 1.03);
    }

    [Fact]
    public void Initialisers_are_reproducible_from_the_generator_and_fill_views()
    {
        var a = Tensor.Zeros(4, 6); var b = Tensor.Zeros(4, 6);
        Init.Normal(a, new Generator(9)); Init.Normal(b, new Generator(9));
        Assert.Equal(a.ToArray(), b.ToArray());
        var m = Tensor.Zeros(3, 4);
        Init.Constant(m.T, 2f);                                                // non-contiguous view
        Assert.All(m.ToArray(), v => Assert.Equal(2f, v));
    }
}
