using SelfSup.Engine;
using Xunit;

namespace SelfSup.Engine.Tests;

using static SelfSup.Engine.Ops;

/// <summary>Known values of convolution and pooling, and fused ops against their composition from primitives.</summary>
public class NnOpsTests
{
    static Tensor Leaf(Tensor t) { t.RequiresGrad = true; return t; }

    [Fact]
    public void Conv2d_sums_windows_adds_bias_and_rejects_mismatched_channels()
    {
        var x = Tensor.From([.. Enumerable.Range(0, 9).Select(i => (float)i)], 1, 1, 3, 3);    // 0..8
        var y = Conv2d(x, Tensor.Ones(1, 1, 2, 2), Tensor.From([10f], 1));
        Assert.Equal([18f, 22f, 30f, 34f], y.ToArray());                                        // 0+1+3+4+10, ...
        Assert.Equal([1, 1, 2, 2], Conv2d(x, Tensor.Ones(1, 1, 3, 3), stride: 2, padding: 1).Shape);
        var e = Assert.Throws<ArgumentException>(() => Conv2d(Tensor.Ones(1, 4, 5, 5), Tensor.Ones(6, 3, 3, 3), groups: 2));
        Assert.Contains("(6, 3, 3, 3)", e.Message);
    }

    [Fact]
    public void Conv2d_backward_skips_gradients_nobody_asked_for()
    {
        var x = Tensor.Uniform(new Generator(1), -1f, 1f, 1, 2, 4, 4);                          // no grad
        var w = Leaf(Tensor.Uniform(new Generator(2), -1f, 1f, 3, 2, 3, 3));
        Sum(Conv2d(x, w, padding: 1)).Backward();
        Assert.Null(x.Grad);
        Assert.NotNull(w.Grad);
        // d Σy / dw[co, ci, ky, kx] = sum of the input pixels that tap meets: the centre tap sees the whole plane.
        Assert.Equal(Sum(Narrow(x, 1, 1, 1)).Item(), w.Grad![0, 1, 1, 1], 4);
    }

    [Fact]
    public void Max_pool_pads_with_minus_infinity_and_routes_gradient_to_the_maximum()
    {
        var x = Leaf(Tensor.From([.. Enumerable.Range(0, 16).Select(i => -(float)i)], 1, 1, 4, 4));  // 0, −1, ..., −15
        var y = MaxPool2d(x, 3, 2, 1);
        Assert.Equal([0f, -1f, -4f, -5f], y.ToArray());                                          // zero padding would give 0s
        Sum(y).Backward();
        var g = new float[16]; g[0] = 1; g[1] = 1; g[4] = 1; g[5] = 1;
        Assert.Equal(g, x.Grad!.ToArray());
        var plain = MaxPool2d(Tensor.From([.. Enumerable.Range(0, 16).Select(i => (float)i)], 1, 1, 4, 4), 2, 2);
        Assert.Equal([5f, 7f, 13f, 15f], plain.ToArray());
        Assert.Throws<ArgumentException>(() => MaxPool2d(Tensor.Ones(1, 1, 4, 4), 2, 2, 2));     // padding > kernel/2
    }

    /// <summary>Wide rows take the vector path (27 outputs = 16 + 8 + 3); small integers make ties, and a NaN must win its windows.</summary>
    [Theory]
    [InlineData(3, 2, 1)]
    [InlineData(2, 2, 0)]
    [InlineData(3, 1, 1)]
    public void Max_pool_matches_a_direct_loop_with_first_maximum_on_ties(int kernel, int stride, int padding)
    {
        int h = 9, w = 54;
        var rng = new Generator(13);
        var data = Enumerable.Range(0, 2 * h * w).Select(_ => (float)rng.NextInt(5) - 8f).ToArray();
        data[h * w + 3 * w + 20] = float.NaN;
        var (values, grads) = (MaxPool2d(Tensor.From(data, 1, 2, h, w), kernel, stride, padding), Leaf(Tensor.From(data, 1, 2, h, w)));
        Sum(MaxPool2d(grads, kernel, stride, padding)).Backward();
        int oh = (h + 2 * padding - kernel) / stride + 1, ow = (w + 2 * padding - kernel) / stride + 1;
        var expectedGrad = new float[data.Length];
        for (int p = 0; p < 2; p++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                {
                    float best = float.NegativeInfinity; int at = -1;
                    for (int iy = oy * stride - padding; iy < oy * stride - padding + kernel; iy++)
                        for (int ix = ox * stride - padding; ix < ox * stride - padding + kernel; ix++)
                        {
                            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                            float v = data[p * h * w + iy * w + ix];
                            if (at < 0 || v > best || float.IsNaN(v)) { best = v; at = p * h * w + iy * w + ix; }
                        }
                    Assert.Equal(best, values[0, p, oy, ox]);
                    expectedGrad[at] += 1f;
                }
        Assert.Equal(expectedGrad, grads.Grad!.ToArray());
    }

    [Fact]
    public void Avg_pool_counts_padding_in_the_divisor()
    {
        var y = AvgPool2d(Tensor.Ones(1, 1, 3, 3), 3, 1, 1);
        TensorAssert.Close([4f / 9, 6f / 9, 4f / 9, 6f / 9, 1f, 6f / 9, 4f / 9, 6f / 9, 4f / 9], y.ToArray(), 1e-6f);
    }

    [Fact]
    public void Adaptive_avg_pool_uses_floor_and_ceil_windows()
    {
        var x = Tensor.From([.. Enumerable.Range(0, 25).Select(i => (float)i)], 1, 1, 5, 5);     // x[r, c] = 5r + c
        var y = AdaptiveAvgPool2d(x, 3, 3);                                                       // windows [0,2) [1,4) [3,5)
        float Mean(int r0, int r1, int c0, int c1) =>
            (float)Enumerable.Range(r0, r1 - r0).SelectMany(r => Enumerable.Range(c0, c1 - c0).Select(c => 5.0 * r + c)).Average();
        int[][] w = [[0, 2], [1, 4], [3, 5]];
        var expected = new float[9];
        for (int i = 0; i < 3; i++) for (int j = 0; j < 3; j++) expected[i * 3 + j] = Mean(w[i][0], w[i][1], w[j][0], w[j][1]);
        TensorAssert.Close(expected, y.ToArray(), 1e-5f);
        Assert.Equal(12f, AdaptiveAvgPool2d(x, 1, 1).Item(), 5);
    }

    [Theory]
    [InlineData(new[] { 3, 7 }, -1)]
    [InlineData(new[] { 5, 4 }, 0)]
    [InlineData(new[] { 2, 6, 3 }, 1)]
    public void Softmax_is_exp_over_sum_and_log_softmax_is_its_log(int[] shape, int dim)
    {
        var x = Tensor.Uniform(new Generator(7), -5f, 5f, shape);
        var softmax = Softmax(x, dim);
        var e = Exp(x);
        TensorAssert.Close(Div(e, Sum(e, [dim], keepDim: true)), softmax, 1e-6f, 1e-5f);
        TensorAssert.Close(Log(softmax), LogSoftmax(x, dim), 1e-5f, 1e-5f);
    }

    [Fact]
    public void Log_softmax_is_finite_for_large_logits()
    {
        var y = LogSoftmax(Tensor.From([1000f, 0f, -1000f], 1, 3), 1).ToArray();
        Assert.Equal(0f, y[0], 5); Assert.Equal(-1000f, y[1], 2); Assert.Equal(-2000f, y[2], 2);
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(0.2f)]
    public void Cross_entropy_equals_mean_of_smoothed_target_times_log_softmax_in_value_and_gradient(float smoothing)
    {
        int n = 6, c = 5;
        var targets = IntTensor.From(0, 4, 2, 2, 1, 3);
        var fusedLogits = Leaf(Tensor.Uniform(new Generator(8), -4f, 4f, n, c));
        var composedLogits = Leaf(fusedLogits.Clone());
        var fused = CrossEntropy(fusedLogits, targets, smoothing);
        fused.Backward();

        var logp = LogSoftmax(composedLogits, 1);
        var picked = Gather(logp, 1, new IntTensor(targets.Data, n, 1));                         // (N, 1)
        var composed = smoothing == 0f
            ? Neg(Mean(picked))
            : Neg(Mean(Add(Mul(picked, 1f - smoothing), Mul(Mean(logp, 1, keepDim: true), smoothing))));
        composed.Backward();
        Assert.Equal(composed.Item(), fused.Item(), 5);
        TensorAssert.Close(composedLogits.Grad!, fusedLogits.Grad!, 1e-6f, 1e-4f);
    }

    [Fact]
    public void Cross_entropy_rejects_targets_outside_the_classes()
    {
        var e = Assert.Throws<ArgumentException>(() => CrossEntropy(Tensor.Zeros(2, 3), IntTensor.From(0, 3)));
        Assert.Contains("target 3", e.Message);
    }

    [Fact]
    public void Attention_equals_softmax_of_scaled_scores_times_values_in_value_and_gradient()
    {
        var rng = new Generator(9);
        Tensor[] fused = [Leaf(Tensor.Uniform(rng, -1f, 1f, 2, 3, 4, 8)), Leaf(Tensor.Uniform(rng, -1f, 1f, 2, 3, 5, 8)), Leaf(Tensor.Uniform(rng, -1f, 1f, 2, 3, 5, 6))];
        Tensor[] composed = [.. fused.Select(t => Leaf(t.Clone()))];
        var weights = Tensor.Uniform(rng, -1f, 1f, 2, 3, 4, 6);
        var y = ScaledDotProductAttention(fused[0], fused[1], fused[2]);
        Sum(Mul(y, weights)).Backward();

        var q = Reshape(composed[0], 6, 4, 8); var k = Reshape(composed[1], 6, 5, 8); var v = Reshape(composed[2], 6, 5, 6);
        var p = Softmax(Mul(MatMul(q, Transpose(k, 1, 2)), 1f / MathF.Sqrt(8)), -1);             // (B·H, Lq, Lk)
        var expected = Reshape(MatMul(p, v), 2, 3, 4, 6);
        Sum(Mul(expected, weights)).Backward();
        TensorAssert.Close(expected, y, 1e-5f, 1e-4f);
        for (int i = 0; i < 3; i++) TensorAssert.Close(composed[i].Grad!, fused[i].Grad!, 1e-5f, 1e-4f, $"grad {i}");
    }

    [Fact]
    public void Linear_equals_matmul_with_transposed_weight_plus_bias()
    {
        var rng = new Generator(10);
        var x = Tensor.Uniform(rng, -1f, 1f, 2, 3, 4); var w = Tensor.Uniform(rng, -1f, 1f, 5, 4); var b = Tensor.Uniform(rng, -1f, 1f, 5);
        TensorAssert.Close(Add(MatMul(x, Transpose(w, 0, 1)), b), Linear(x, w, b), 1e-6f, 1e-5f);
        TensorAssert.Close(MatMul(x, Transpose(w, 0, 1)), Linear(x, w, null), 1e-6f, 1e-5f);
        Assert.Throws<ArgumentException>(() => Linear(x, Tensor.Ones(5, 3), null));
    }

    [Fact]
    public void Dropout_zeroes_about_p_scales_survivors_and_is_identity_in_eval()
    {
        var x = Tensor.Full(2f, 200, 500);
        var y = Dropout(x, 0.3f, training: true, new Generator(11)).ToArray();
        double zeros = y.Count(v => v == 0f) / (double)y.Length;
        Assert.InRange(zeros, 0.29, 0.31);
        Assert.All(y, v => Assert.True(v == 0f || Math.Abs(v - 2f / 0.7f) < 1e-5f));
        Assert.Same(x, Dropout(x, 0.3f, training: false, new Generator(11)));
        Assert.Same(x, Dropout(x, 0f, training: true, new Generator(11)));
        Assert.All(Dropout(x, 1f, training: true, new Generator(11)).ToArray(), v => Assert.Equal(0f, v));
        Assert.Equal(y, Dropout(x, 0.3f, training: true, new Generator(11)).ToArray());            // same seed, same mask
    }

    [Theory]
    [InlineData(-1, true)]
    [InlineData(-1, false)]
    [InlineData(0, true)]
    [InlineData(0, false)]
    public void TopK_matches_a_stable_sort_with_ties_to_the_lower_index(int dim, bool largest)
    {
        var rng = new Generator(12);
        int rows = 7, cols = 40, k = 5;
        var x = Tensor.From([.. Enumerable.Range(0, rows * cols).Select(_ => (float)rng.NextInt(6))], rows, cols);   // many ties
        var (values, indices) = TopK(x, k, dim, largest);
        bool alongCols = dim == -1;
        int lines = alongCols ? rows : cols, size = alongCols ? cols : rows;
        Assert.Equal(alongCols ? new[] { rows, k } : new[] { k, cols }, values.Shape);
        for (int line = 0; line < lines; line++)
        {
            float At(int j) => alongCols ? x[line, j] : x[j, line];
            var order = Enumerable.Range(0, size).OrderBy(j => largest ? -At(j) : At(j)).ThenBy(j => j).Take(k).ToArray();
            for (int j = 0; j < k; j++)
            {
                int flat = alongCols ? line * k + j : j * cols + line;
                Assert.Equal(order[j], indices.Data[flat]);
                Assert.Equal(At(order[j]), values.Data[flat]);
            }
        }
        Assert.False(values.RequiresGrad);
    }
}
