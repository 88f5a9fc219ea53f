using System.Numerics.Tensors;

namespace SelfSup.Engine.Kernels;

/// <summary>
/// Softmax cross-entropy on one row of C logits with a smoothed target t = (1−ε)·onehot + ε/C (Szegedy et
/// al. 2016, as torch's label_smoothing): loss = −Σ t·log softmax(x) = lse − (1−ε)·x_target − ε·mean(x).
/// The gradient is softmax(x) − t, recomputed from the row's log-sum-exp instead of stored probabilities.
/// </summary>
public static class SoftmaxCrossEntropyKernels
{
    /// <summary>log Σ exp(x) of a row (stabilised by its maximum); <paramref name="scratch"/> holds the row's length.</summary>
    public static float LogSumExp(ReadOnlySpan<float> x, Span<float> scratch)
    {
        float max = TensorPrimitives.Max(x);
        var e = scratch[..x.Length];
        TensorPrimitives.Subtract(x, max, e);
        TensorPrimitives.Exp(e, e);
        return (float)(max + Math.Log(TensorPrimitives.Sum(e)));
    }

    public static double Loss(ReadOnlySpan<float> x, int target, float smoothing, float logSumExp)
    {
        double loss = (1.0 - smoothing) * ((double)logSumExp - x[target]);
        if (smoothing != 0f) loss += smoothing * ((double)logSumExp - (double)TensorPrimitives.Sum(x) / x.Length);
        return loss;
    }

    /// <summary>dx = (softmax(x) − t)·scale.</summary>
    public static void Backward(ReadOnlySpan<float> x, int target, float smoothing, float logSumExp, float scale, Span<float> dx)
    {
        TensorPrimitives.Subtract(x, logSumExp, dx);
        TensorPrimitives.Exp(dx, dx);
        if (smoothing != 0f) TensorPrimitives.Subtract(dx, smoothing / x.Length, dx);
        dx[target] -= 1f - smoothing;
        TensorPrimitives.Multiply(dx, scale, dx);
    }
}
