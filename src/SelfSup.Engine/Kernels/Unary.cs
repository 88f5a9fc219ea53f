using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace SelfSup.Engine.Kernels;

/// <summary>Unary kernels on spans that TensorPrimitives lacks, with the derivatives backward needs.</summary>
public static class Unary
{
    const float InvSqrt2 = 0.70710678118654752f;
    const float InvSqrt2Pi = 0.39894228040143268f;

    /// <summary>y = max(x, 0).</summary>
    public static void Relu(ReadOnlySpan<float> x, Span<float> y) => ParallelSpans.For(x, y, static (a, b) => TensorPrimitives.Max(a, 0f, b));

    /// <summary>y = max(a + b, 0) in one pass (a ResNet block's residual sum and ReLU).</summary>
    public static void AddRelu(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) => ParallelSpans.For(a, b, y, AddReluSerial);

    static void AddReluSerial(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= a.Length - 16; i += 16)
                Vector512.Max(Vector512.Create(a.Slice(i, 16)) + Vector512.Create(b.Slice(i, 16)), Vector512<float>.Zero).CopyTo(y.Slice(i, 16));
        else if (Vector256.IsHardwareAccelerated)
            for (; i <= a.Length - 8; i += 8)
                Vector256.Max(Vector256.Create(a.Slice(i, 8)) + Vector256.Create(b.Slice(i, 8)), Vector256<float>.Zero).CopyTo(y.Slice(i, 8));
        for (; i < a.Length; i++) y[i] = MathF.Max(a[i] + b[i], 0f);
    }

    /// <summary>dx = dy where x &gt; 0, else 0.</summary>
    public static void ReluBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx) =>
        ParallelSpans.For(x, dy, dx, ReluBackwardSerial);

    static void ReluBackwardSerial(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= x.Length - 16; i += 16)
            {
                var mask = Vector512.GreaterThan(Vector512.Create(x.Slice(i, 16)), Vector512<float>.Zero);
                Vector512.ConditionalSelect(mask, Vector512.Create(dy.Slice(i, 16)), Vector512<float>.Zero).CopyTo(dx.Slice(i, 16));
            }
        else if (Vector256.IsHardwareAccelerated)
            for (; i <= x.Length - 8; i += 8)
            {
                var mask = Vector256.GreaterThan(Vector256.Create(x.Slice(i, 8)), Vector256<float>.Zero);
                Vector256.ConditionalSelect(mask, Vector256.Create(dy.Slice(i, 8)), Vector256<float>.Zero).CopyTo(dx.Slice(i, 8));
            }
        for (; i < x.Length; i++) dx[i] = x[i] > 0f ? dy[i] : 0f;
    }

    /// <summary>Exact GELU, x·Φ(x) (Hendrycks &amp; Gimpel 2016; torch's default, approximate='none').</summary>
    public static void Gelu(ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = 0.5f * x[i] * (1f + Erf(x[i] * InvSqrt2));
    }

    /// <summary>d GELU/dx = Φ(x) + x·φ(x).</summary>
    public static void GeluBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx)
    {
        for (int i = 0; i < x.Length; i++)
        {
            float v = x[i];
            float cdf = 0.5f * (1f + Erf(v * InvSqrt2));
            float pdf = InvSqrt2Pi * MathF.Exp(-0.5f * v * v);
            dx[i] = dy[i] * (cdf + v * pdf);
        }
    }

    /// <summary>
    /// Error function in float precision (max abs error about 1.2e-7): the rational approximation of
    /// W. J. Cody (1969) below 0.5, Numerical Recipes' erfc fit above.
    /// </summary>
    public static float Erf(float x)
    {
        double ax = Math.Abs((double)x);
        double r;
        if (ax < 0.5)
        {
            double z = ax * ax;
            r = ax * ((((1.85777706184603153e-1 * z + 3.16112374387056560e00) * z + 1.13864154151050156e02) * z + 3.77485237685302021e02) * z + 3.20937758913846947e03)
                / ((((z + 2.36012909523441209e01) * z + 2.44024637934444173e02) * z + 1.28261652607737228e03) * z + 2.84423683343917062e03);
        }
        else
        {
            r = 1.0 - Erfc(ax);
        }
        return (float)(x < 0 ? -r : r);
    }

    /// <summary>erfc for x ≥ 0.5 in double (Numerical Recipes' Chebyshev fit, relative error &lt; 1.2e-7).</summary>
    static double Erfc(double x)
    {
        double t = 1.0 / (1.0 + 0.5 * x);
        double poly = -x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
                      t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
        return t * Math.Exp(poly);
    }

    /// <summary>y = min(max(x, lo), hi).</summary>
    public static void Clamp(ReadOnlySpan<float> x, float lo, float hi, Span<float> y)
    {
        TensorPrimitives.Max(x, lo, y);
        TensorPrimitives.Min(y, hi, y);
    }
}
