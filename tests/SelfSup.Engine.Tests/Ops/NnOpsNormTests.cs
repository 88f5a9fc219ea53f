using SelfSup.Engine;
using SelfSup.Engine.Kernels;
using Xunit;

namespace SelfSup.Engine.Tests;

using static SelfSup.Engine.Ops;

/// <summary>Batch norm, layer norm and L2 normalisation against their composition from primitives, and BN's running stats.</summary>
public class NnOpsNormTests
{
    static Tensor Param(Generator rng, float lo, float hi, params int[] shape)
    {
        var t = Tensor.Uniform(rng, lo, hi, shape);
        t.RequiresGrad = true;
        return t;
    }

    /// <summary>(x − mean)/sqrt(var + eps)·γ + β over all dims but 1, from Mean/Var/Sqrt primitives.</summary>
    static Tensor BatchNormByPrimitives(Tensor x, Tensor gamma, Tensor beta, float eps)
    {
        var dims = Enumerable.Range(0, x.Rank).Where(d => d != 1).ToArray();
        var channelShape = Enumerable.Range(0, x.Rank).Select(d => d == 1 ? x.Shape[1] : 1).ToArray();
        var mean = Mean(x, dims, keepDim: true);
        var variance = Var(x, dims, unbiased: false, keepDim: true);
        var xHat = Div(Sub(x, mean), Sqrt(Add(variance, eps)));
        return Add(Mul(xHat, Reshape(gamma, channelShape)), Reshape(beta, channelShape));
    }

    [Theory]
    [InlineData(new[] { 4, 3, 5, 5 })]
    [InlineData(new[] { 8, 6, 7 })]
    [InlineData(new[] { 10, 5 })]
    [InlineData(new[] { 64, 32, 4, 4 })]                       // parallel over channel ranges
    [InlineData(new[] { 256, 160 })]                           // (N, C) split into column blocks
    public void Batch_norm_train_equals_composition_in_value_and_gradient(int[] shape)
    {
        var rng = new Generator(11);
        int c = shape[1];
        var x = Param(rng, -2f, 3f, shape); var gamma = Param(rng, 0.5f, 1.5f, c); var beta = Param(rng, -1f, 1f, c);
        var weights = Tensor.Uniform(new Generator(12), -1f, 1f, shape);

        var fused = BatchNorm(x, gamma, beta, null, null, training: true, eps: 1e-3f);
        Sum(Mul(fused, weights)).Backward();
        var (gx, gg, gb) = (x.Grad!.ToArray(), gamma.Grad!.ToArray(), beta.Grad!.ToArray());
        x.Grad = gamma.Grad = beta.Grad = null;

        var composed = BatchNormByPrimitives(x, gamma, beta, 1e-3f);
        Sum(Mul(composed, weights)).Backward();
        TensorAssert.Close(composed, fused, 1e-4f, 1e-4f, "y");
        TensorAssert.Close(x.Grad!.ToArray(), gx, 1e-4f, 1e-3f, "dx");
        TensorAssert.Close(gamma.Grad!.ToArray(), gg, 1e-3f, 1e-3f, "dγ");
        TensorAssert.Close(beta.Grad!.ToArray(), gb, 1e-3f, 1e-3f, "dβ");
    }

    [Theory]
    [InlineData(new[] { 4, 3, 2, 2 })]
    [InlineData(new[] { 6, 2 })]
    public void Batch_norm_running_stats_move_by_momentum_toward_unbiased_variance(int[] shape)
    {
        var x = Tensor.Uniform(new Generator(2), -1f, 4f, shape);
        int c = shape[1], m = x.Numel / c, s = m / shape[0];
        var runningMean = Tensor.From([.. Enumerable.Range(0, c).Select(i => 0.5f * i)], c);
        var runningVar = Tensor.From([.. Enumerable.Range(0, c).Select(i => 1f + i)], c);
        var expectedMean = new float[c]; var expectedVar = new float[c];
        var data = x.ToArray();
        for (int ch = 0; ch < c; ch++)
        {
            var values = Enumerable.Range(0, shape[0]).SelectMany(n => Enumerable.Range(0, s).Select(j => (double)data[(n * c + ch) * s + j])).ToArray();
            double mean = values.Average(), unbiased = values.Sum(v => (v - mean) * (v - mean)) / (m - 1);
            expectedMean[ch] = (float)(0.9 * runningMean.ToArray()[ch] + 0.1 * mean);
            expectedVar[ch] = (float)(0.9 * runningVar.ToArray()[ch] + 0.1 * unbiased);
        }
        BatchNorm(x, null, null, runningMean, runningVar, training: true, momentum: 0.1f);
        TensorAssert.Close(expectedMean, runningMean.ToArray(), 1e-6f, 1e-5f, "running_mean");
        TensorAssert.Close(expectedVar, runningVar.ToArray(), 1e-6f, 1e-5f, "running_var");
    }

    [Fact]
    public void Batch_norm_eval_uses_running_stats_and_leaves_them_alone()
    {
        var x = Tensor.Uniform(new Generator(3), -1f, 1f, 3, 2, 2, 2);
        var rm = Tensor.From([0.5f, -1f], 2); var rv = Tensor.From([4f, 0.25f], 2);
        var gamma = Tensor.From([2f, 3f], 2); var beta = Tensor.From([0.1f, -0.2f], 2);
        var y = BatchNorm(x, gamma, beta, rm, rv, training: false, eps: 0f);
        var expected = Add(Mul(Div(Sub(x, Reshape(rm, 1, 2, 1, 1)), Sqrt(Reshape(rv, 1, 2, 1, 1))), Reshape(gamma, 1, 2, 1, 1)), Reshape(beta, 1, 2, 1, 1));
        TensorAssert.Close(expected, y, 1e-6f, 1e-5f);
        Assert.Equal([0.5f, -1f], rm.ToArray());
        Assert.Equal([4f, 0.25f], rv.ToArray());
    }

    [Fact]
    public void Batch_norm_rejects_one_value_per_channel_in_training_and_names_the_shape()
    {
        var e = Assert.Throws<ArgumentException>(() => BatchNorm(Tensor.Ones(1, 4), null, null, null, null, training: true));
        Assert.Contains("(1, 4)", e.Message);
        Assert.Throws<ArgumentException>(() => BatchNorm(Tensor.Ones(2, 4), Tensor.Ones(3), null, null, null, training: true));
    }

    [Fact]
    public void Layer_norm_equals_composition_over_trailing_dims()
    {
        var rng = new Generator(4);
        var x = Tensor.Uniform(rng, -3f, 3f, 5, 3, 8); var gamma = Tensor.Uniform(rng, 0.5f, 1.5f, 3, 8); var beta = Tensor.Uniform(rng, -1f, 1f, 3, 8);
        var flat = Reshape(x, 5, 24);
        var mean = Mean(flat, 1, keepDim: true); var variance = Var(flat, [1], unbiased: false, keepDim: true);
        var expected = Add(Mul(Reshape(Div(Sub(flat, mean), Sqrt(Add(variance, 1e-5f))), 5, 3, 8), gamma), beta);
        TensorAssert.Close(expected, LayerNorm(x, [3, 8], gamma, beta), 1e-5f, 1e-4f);
        Assert.Throws<ArgumentException>(() => LayerNorm(x, [8, 3], null, null));
    }

    [Theory]
    [InlineData(new[] { 4, 6 }, 1)]
    [InlineData(new[] { 2, 5, 3, 3 }, 1)]
    [InlineData(new[] { 5, 3 }, 0)]
    public void Normalize_equals_x_over_root_sum_of_squares(int[] shape, int dim)
    {
        var x = Tensor.Uniform(new Generator(5), -2f, 2f, shape);
        var expected = Div(x, Sqrt(Sum(Mul(x, x), [dim], keepDim: true)));
        TensorAssert.Close(expected, Normalize(x, dim), 1e-6f, 1e-5f);
    }

    [Fact]
    public void Normalize_of_a_zero_vector_is_zero_and_its_gradient_is_dy_over_eps()
    {
        var x = Tensor.Zeros(2, 3);
        x.RequiresGrad = true;
        var y = Normalize(x, 1, eps: 0.5f);
        Assert.All(y.ToArray(), v => Assert.Equal(0f, v));
        Sum(y).Backward();
        Assert.All(x.Grad!.ToArray(), v => Assert.Equal(2f, v, 5));
    }

    /// <summary>The hand-vectorised BN kernels agree with scalar loops on every length 0…67 (vector body plus tail).</summary>
    [Fact]
    public void Batch_norm_kernels_match_scalar_loops_for_lengths_0_to_67()
    {
        var rng = new Generator(6);
        for (int n = 0; n <= 67; n++)
        {
            var x = Tensor.Uniform(rng, -2f, 2f, n).ToArray(); var dy = Tensor.Uniform(rng, -1f, 1f, n).ToArray();
            float m = 0.3f;
            double squares = 0, sumDy = 0, sumDyCentred = 0;
            for (int i = 0; i < n; i++) { squares += (x[i] - m) * (x[i] - m); sumDy += dy[i]; sumDyCentred += dy[i] * (x[i] - m); }
            Assert.Equal(squares, BatchNormKernels.CentredSquares(x, m), 1e-4);
            var (a, b) = BatchNormKernels.GradSums(x, dy, m);
            Assert.Equal(sumDy, a, 1e-4); Assert.Equal(sumDyCentred, b, 1e-4);
            var y = new float[n]; var dx = new float[n];
            BatchNormKernels.Affine(x, 1.5f, -0.25f, y);
            BatchNormKernels.Combine(dy, x, 2f, -0.5f, 0.125f, dx);
            for (int i = 0; i < n; i++)
            {
                Assert.Equal(x[i] * 1.5f - 0.25f, y[i], 1e-5f);
                Assert.Equal(2f * dy[i] - 0.5f * x[i] + 0.125f, dx[i], 1e-5f);
            }
        }
    }
}
