using SelfSup.Engine;
using Xunit;

namespace SelfSup.Engine.Tests;

using static SelfSup.Engine.Ops;

/// <summary>Central-difference checks for the fused neural-network ops and their hand-written backward.</summary>
public class NnOpsGradTests
{
    static readonly IntTensor Targets = IntTensor.From(2, 0, 4, 4);
    static readonly Tensor FixedMean = Tensor.From([0.1f, -0.2f, 0.3f], 3), FixedVar = Tensor.From([0.5f, 1.5f, 0.8f], 3);

    public static TheoryData<string, Func<Tensor[], Tensor>, int[][]> Cases => new()
    {
        { "conv 3x3", x => Conv2d(x[0], x[1]), [[2, 3, 5, 5], [4, 3, 3, 3]] },
        { "conv stride 2 padding 1 bias", x => Conv2d(x[0], x[1], x[2], stride: 2, padding: 1), [[2, 3, 6, 6], [4, 3, 3, 3], [4]] },
        { "conv groups 2 bias", x => Conv2d(x[0], x[1], x[2], padding: 1, groups: 2), [[1, 4, 4, 4], [6, 2, 3, 3], [6]] },
        { "conv 1x1 stride 2", x => Conv2d(x[0], x[1], stride: 2), [[2, 3, 5, 5], [2, 3, 1, 1]] },
        { "avg pool k3 s2 p1", x => AvgPool2d(x[0], 3, 2, 1), [[2, 2, 5, 5]] },
        { "avg pool overlapping k3 s1", x => AvgPool2d(x[0], 3, 1), [[1, 2, 4, 5]] },
        { "adaptive avg 5->3", x => AdaptiveAvgPool2d(x[0], 3, 3), [[2, 2, 5, 5]] },
        { "adaptive avg 5x7->2x3", x => AdaptiveAvgPool2d(x[0], 2, 3), [[1, 2, 5, 7]] },
        { "adaptive avg global", x => AdaptiveAvgPool2d(x[0], 1, 1), [[2, 3, 3, 4]] },
        { "batch norm 2d train affine", x => BatchNorm(x[0], x[1], x[2], null, null, training: true), [[4, 3, 2, 2], [3], [3]] },
        { "batch norm 2d train no affine", x => BatchNorm(x[0], null, null, null, null, training: true), [[3, 2, 3, 2]] },
        { "batch norm 2d train running stats", x => BatchNorm(x[0], x[1], x[2], Tensor.Zeros(3), Tensor.Ones(3), training: true), [[2, 3, 3, 3], [3], [3]] },
        { "batch norm 1d (N,C) train affine", x => BatchNorm(x[0], x[1], x[2], null, null, training: true), [[6, 4], [4], [4]] },
        { "batch norm 1d (N,C) train no affine", x => BatchNorm(x[0], null, null, null, null, training: true), [[5, 3]] },
        { "batch norm 1d (N,C,L) train affine", x => BatchNorm(x[0], x[1], x[2], null, null, training: true), [[3, 2, 5], [2], [2]] },
        { "batch norm 2d eval", x => BatchNorm(x[0], x[1], x[2], FixedMean, FixedVar, training: false), [[2, 3, 2, 2], [3], [3]] },
        { "layer norm 2 dims affine", x => LayerNorm(x[0], [4, 5], x[1], x[2]), [[3, 4, 5], [4, 5], [4, 5]] },
        { "layer norm no affine", x => LayerNorm(x[0], [6], null, null), [[3, 6]] },
        { "softmax dim -1", x => Softmax(Mul(x[0], 3f), -1), [[3, 5]] },
        { "softmax dim 0", x => Softmax(Mul(x[0], 3f), 0), [[4, 3]] },
        { "softmax middle dim", x => Softmax(Mul(x[0], 3f), 1), [[2, 3, 4]] },
        { "log softmax dim -1", x => LogSoftmax(Mul(x[0], 3f), -1), [[3, 5]] },
        { "log softmax dim 0", x => LogSoftmax(Mul(x[0], 3f), 0), [[4, 3]] },
        { "cross entropy", x => CrossEntropy(Mul(x[0], 3f), Targets), [[4, 5]] },
        { "cross entropy smoothing 0.1", x => CrossEntropy(Mul(x[0], 3f), Targets, labelSmoothing: 0.1f), [[4, 5]] },
        { "normalize dim 1 rows", x => Normalize(x[0]), [[3, 4]] },
        { "normalize dim 1 of NCHW", x => Normalize(x[0], dim: 1), [[2, 3, 2, 2]] },
        { "normalize dim 0", x => Normalize(x[0], dim: 0), [[4, 3]] },
        { "attention", x => ScaledDotProductAttention(x[0], x[1], x[2]), [[1, 2, 3, 4], [1, 2, 5, 4], [1, 2, 5, 3]] },
        { "attention batch 2", x => ScaledDotProductAttention(Mul(x[0], 2f), x[1], x[2]), [[2, 1, 4, 2], [2, 1, 4, 2], [2, 1, 4, 2]] },
        { "linear bias", x => Linear(x[0], x[1], x[2]), [[3, 4], [5, 4], [5]] },
        { "linear leading dims", x => Linear(x[0], x[1], x[2]), [[2, 3, 4], [5, 4], [5]] },
        { "linear no bias transposed input", x => Linear(Transpose(x[0], 0, 1), x[1], null), [[4, 3], [2, 4]] },
        { "dropout", x => Dropout(x[0], 0.3f, training: true, new Generator(5)), [[4, 6]] },
    };

    [Theory, MemberData(nameof(Cases))]
    public void Backward_matches_central_differences(string op, Func<Tensor[], Tensor> f, int[][] shapes)
    {
        _ = op;
        GradCheck.Assert(f, GradCheck.RandomInputs(shapes));
    }

    /// <summary>Max pooling is only differentiable away from ties: inputs are a shuffled ramp with steps of 0.1 (≫ eps).</summary>
    [Theory]
    [InlineData(2, 2, 0)]
    [InlineData(3, 2, 1)]
    [InlineData(3, 1, 1)]
    public void Max_pool_backward_matches_central_differences(int kernel, int stride, int padding)
    {
        var perm = new Generator(3).Permutation(2 * 2 * 5 * 5);
        var x = Tensor.From([.. perm.Select(i => (i - 50) * 0.1f)], 2, 2, 5, 5);
        x.RequiresGrad = true;
        GradCheck.Assert(t => MaxPool2d(t[0], kernel, stride, padding), [x]);
    }
}
