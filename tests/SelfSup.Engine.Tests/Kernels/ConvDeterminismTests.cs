using SelfSup.Engine.Kernels;
using Xunit;

namespace SelfSup.Engine.Tests;

public class ConvDeterminismTests
{
    [Theory]
    [InlineData(40, 8, 8)]                                                  // many chunks: four partial sums
    [InlineData(3, 16, 16)]                                                 // few chunks: one partial, threaded GEMM
    public void Weight_gradient_is_bit_identical_for_any_thread_count(int n, int h, int w)
    {
        var s = new Conv2dShape(n, 6, h, w, 10, 3, 3, 1, 1, 1, 1, 1);
        var rng = new Generator(3);
        var input = Tensor.Randn(rng, (int)s.InputSize).ToArray();
        var gradOut = Tensor.Randn(rng, (int)s.OutputSize).ToArray();
        float[] Run(int threads)
        {
            int saved = Workers.Threads;
            Workers.Threads = threads;
            try
            {
                var gw = new float[s.WeightSize]; var gb = new float[s.Cout];
                Conv2dKernels.BackwardWeight(s, input, gradOut, gw, gb);
                return [.. gw, .. gb];
            }
            finally { Workers.Threads = saved; }
        }
        var one = Run(1);
        Assert.Equal(one, Run(2));
        Assert.Equal(one, Run(3));
    }
}
