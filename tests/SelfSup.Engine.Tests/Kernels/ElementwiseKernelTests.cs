using SelfSup.Engine.Kernels;
using Xunit;

namespace SelfSup.Engine.Tests;

public class ElementwiseKernelTests
{
    static float[] Values(int n, int seed) => Tensor.Uniform(new Generator((ulong)seed), -1, 1, n).ToArray();

    [Fact]
    public void Relu_backward_vector_path_equals_scalar_rule_for_lengths_0_to_67_and_a_parallel_length()
    {
        foreach (var n in Enumerable.Range(0, 68).Append(ParallelSpans.MinLength * 3 + 5))
        {
            var x = Values(n, n); var dy = Values(n, n + 1000);
            var dx = new float[n];
            Unary.ReluBackward(x, dy, dx);
            for (int i = 0; i < n; i++) Assert.Equal(x[i] > 0 ? dy[i] : 0f, dx[i]);
        }
    }

    [Fact]
    public void Add_relu_vector_path_equals_scalar_rule_for_lengths_0_to_67_and_a_parallel_length()
    {
        foreach (var n in Enumerable.Range(0, 68).Append(ParallelSpans.MinLength * 3 + 5))
        {
            var a = Values(n, n); var b = Values(n, n + 500);
            var y = new float[n];
            Unary.AddRelu(a, b, y);
            for (int i = 0; i < n; i++) Assert.Equal(MathF.Max(a[i] + b[i], 0f), y[i]);
        }
    }

    [Fact]
    public void Long_binary_ops_split_across_workers_equal_the_element_rule()
    {
        int n = ParallelSpans.MinLength * 4 + 3;
        var a = Values(n, 1); var b = Values(n, 2); var y = new float[n];
        foreach (var op in Enum.GetValues<BinaryOp>())
        {
            Elementwise.Apply(op, a, b, y);
            for (int i = 0; i < n; i += 997)
            {
                float expected = op switch { BinaryOp.Add => a[i] + b[i], BinaryOp.Sub => a[i] - b[i], BinaryOp.Mul => a[i] * b[i], _ => a[i] / b[i] };
                Assert.Equal(expected, y[i], 5);
            }
            Assert.Equal(op == BinaryOp.Add ? a[^1] + b[^1] : y[^1], y[^1]);
        }
    }

    [Fact]
    public void Broadcast_loop_handles_inner_stride_zero_and_strided_operands()
    {
        var a = Tensor.From([1, 2, 3, 4, 5, 6], 2, 3);
        var col = Tensor.From([10, 20], 2, 1);                               // broadcast along the inner dim
        Assert.Equal([11, 12, 13, 24, 25, 26], Engine.Ops.Add(a, col).ToArray());
        Assert.Equal([1 * 10, 4 * 20, 2 * 10, 5 * 20, 3 * 10, 6 * 20], Engine.Ops.Mul(a.T, Tensor.From([10, 20], 2)).ToArray());
    }
}
