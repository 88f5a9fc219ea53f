using System.Numerics.Tensors;

namespace SelfSup.Engine.Optim;

/// <summary>Reductions the optimisers need, accumulated in double across SIMD chunks.</summary>
internal static class OptimMath
{
    const int Chunk = 4096;

    /// <summary>‖x‖₂: float SIMD sums of squares over chunks of 4096, added in double.</summary>
    public static double Norm(ReadOnlySpan<float> x)
    {
        double sum = 0;
        for (int i = 0; i < x.Length; i += Chunk)
            sum += TensorPrimitives.SumOfSquares(x.Slice(i, Math.Min(Chunk, x.Length - i)));
        return Math.Sqrt(sum);
    }
}
