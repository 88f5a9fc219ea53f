using System.Numerics.Tensors;

namespace SelfSup.Engine.Kernels;

/// <summary>
/// Layer-norm kernels on one row of D values: y = (x − μ)·σ⁻¹·γ + β with the row's mean μ and biased
/// variance σ² (Ba et al. 2016). γ and β may be empty (no affine).
/// </summary>
public static class LayerNormKernels
{
    /// <summary>Normalises one row; returns its mean and inverse standard deviation for backward.</summary>
    public static (float mean, float invStd) Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, float eps, Span<float> y)
    {
        int d = x.Length;
        float mean = d == 0 ? 0 : (float)(RowSum(x) / d);
        float variance = d == 0 ? 0 : BatchNormKernels.CentredSquares(x, mean) / d;
        float invStd = 1f / MathF.Sqrt(variance + eps);
        BatchNormKernels.Affine(x, invStd, -mean * invStd, y);                      // x̂
        if (!gamma.IsEmpty) TensorPrimitives.Multiply(y[..d], gamma, y);
        if (!beta.IsEmpty) TensorPrimitives.Add(y[..d], beta, y);
        return (mean, invStd);
    }

    /// <summary>
    /// dx = σ⁻¹·(g − mean(g) − x̂·mean(g·x̂)) with g = dy·γ, for one row; adds dy·x̂ into <paramref name="gammaGrad"/>
    /// and dy into <paramref name="betaGrad"/> when those are not empty. <paramref name="scratch"/> holds 2·D floats.
    /// </summary>
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, ReadOnlySpan<float> gamma, float mean, float invStd,
        Span<float> dx, Span<float> gammaGrad, Span<float> betaGrad, Span<float> scratch)
    {
        int d = x.Length;
        var xHat = scratch[..d];
        BatchNormKernels.Affine(x, invStd, -mean * invStd, xHat);
        if (!gammaGrad.IsEmpty) TensorPrimitives.MultiplyAdd(dy, xHat, gammaGrad, gammaGrad);
        if (!betaGrad.IsEmpty) TensorPrimitives.Add(betaGrad, dy, betaGrad);
        if (dx.IsEmpty) return;
        ReadOnlySpan<float> g = dy;
        if (!gamma.IsEmpty)
        {
            var scaled = scratch.Slice(d, d);
            TensorPrimitives.Multiply(dy, gamma, scaled);
            g = scaled;
        }
        float meanG = TensorPrimitives.Sum(g) / d, meanGxHat = TensorPrimitives.Dot(g, xHat) / d;
        TensorPrimitives.MultiplyAdd(xHat, -meanGxHat, g, dx);                      // g − x̂·mean(g·x̂)
        BatchNormKernels.Affine(dx, invStd, -meanG * invStd, dx);
    }

    static double RowSum(ReadOnlySpan<float> x)
    {
        double total = 0;
        for (int i = 0; i < x.Length; i += 1024) total += TensorPrimitives.Sum(x.Slice(i, Math.Min(1024, x.Length - i)));
        return total;
    }
}
