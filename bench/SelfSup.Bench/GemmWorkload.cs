using SelfSup.Engine;
using SelfSup.Engine.Kernels;

namespace SelfSup.Bench;

/// <summary>gemm-1024: C = A·B for 1024×1024 fp32 matrices; best of 5 after 2 warm-ups; GFLOP/s.</summary>
static class GemmWorkload
{
    public static Workload Create() => new("gemm-1024", "GFLOP/s", "C = A·B, 1024×1024 fp32", _ =>
    {
        const int n = 1024;
        var rng = new Generator(0);
        var a = Tensor.Randn(rng, n, n).Data;
        var b = Tensor.Randn(rng, n, n).Data;
        var c = new float[n * n];
        double seconds = BenchContext.BestOf(() => Gemm.Multiply(false, false, n, n, n, a, n, b, n, c, n), warmup: 2, iterations: 5);
        return 2.0 * n * n * n / seconds / 1e9;
    });
}
