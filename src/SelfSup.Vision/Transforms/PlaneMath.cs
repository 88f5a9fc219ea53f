using System.Runtime.Intrinsics;

namespace SelfSup.Vision.Transforms;

/// <summary>
/// Per-plane arithmetic of the colour transforms on spans: widest vector the CPU has (512 → 256), then a
/// scalar tail. Each computes exactly the float expression torchvision's tensor code evaluates (same
/// operations in the same order, no fused multiply-add), so results match it to the last bit or two.
/// </summary>
public static class PlaneMath
{
    public const float GrayR = 0.2989f, GrayG = 0.587f, GrayB = 0.114f;

    /// <summary>dst = 0.2989·r + 0.587·g + 0.114·b (torchvision's rgb_to_grayscale).</summary>
    public static void Grayscale(ReadOnlySpan<float> r, ReadOnlySpan<float> g, ReadOnlySpan<float> b, Span<float> dst)
    {
        int n = dst.Length, i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= n - 16; i += 16)
                (Vector512.Create(GrayR) * Vector512.Create(r[i..]) + Vector512.Create(GrayG) * Vector512.Create(g[i..])
                 + Vector512.Create(GrayB) * Vector512.Create(b[i..])).CopyTo(dst[i..]);
        if (Vector256.IsHardwareAccelerated)
            for (; i <= n - 8; i += 8)
                (Vector256.Create(GrayR) * Vector256.Create(r[i..]) + Vector256.Create(GrayG) * Vector256.Create(g[i..])
                 + Vector256.Create(GrayB) * Vector256.Create(b[i..])).CopyTo(dst[i..]);
        for (; i < n; i++) dst[i] = GrayR * r[i] + GrayG * g[i] + GrayB * b[i];
    }

    /// <summary>x ← clamp(ratio·x + otherTerm, 0, 1): torchvision's _blend with a constant second image, where
    /// otherTerm = (1 − ratio)·other was formed once in float.</summary>
    public static void BlendConstant(Span<float> x, float ratio, float otherTerm)
    {
        int n = x.Length, i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var (r, t, zero, one) = (Vector512.Create(ratio), Vector512.Create(otherTerm), Vector512<float>.Zero, Vector512<float>.One);
            for (; i <= n - 16; i += 16)
                Vector512.Min(Vector512.Max(r * Vector512.Create(x[i..]) + t, zero), one).CopyTo(x[i..]);
        }
        if (Vector256.IsHardwareAccelerated)
        {
            var (r, t, zero, one) = (Vector256.Create(ratio), Vector256.Create(otherTerm), Vector256<float>.Zero, Vector256<float>.One);
            for (; i <= n - 8; i += 8)
                Vector256.Min(Vector256.Max(r * Vector256.Create(x[i..]) + t, zero), one).CopyTo(x[i..]);
        }
        for (; i < n; i++) x[i] = Math.Clamp(ratio * x[i] + otherTerm, 0f, 1f);
    }

    /// <summary>x ← clamp(ratio·x + otherRatio·other, 0, 1): torchvision's _blend of two images.</summary>
    public static void BlendPlanes(Span<float> x, float ratio, float otherRatio, ReadOnlySpan<float> other)
    {
        int n = x.Length, i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var (r, s, zero, one) = (Vector512.Create(ratio), Vector512.Create(otherRatio), Vector512<float>.Zero, Vector512<float>.One);
            for (; i <= n - 16; i += 16)
                Vector512.Min(Vector512.Max(r * Vector512.Create(x[i..]) + s * Vector512.Create(other[i..]), zero), one).CopyTo(x[i..]);
        }
        if (Vector256.IsHardwareAccelerated)
        {
            var (r, s, zero, one) = (Vector256.Create(ratio), Vector256.Create(otherRatio), Vector256<float>.Zero, Vector256<float>.One);
            for (; i <= n - 8; i += 8)
                Vector256.Min(Vector256.Max(r * Vector256.Create(x[i..]) + s * Vector256.Create(other[i..]), zero), one).CopyTo(x[i..]);
        }
        for (; i < n; i++) x[i] = Math.Clamp(ratio * x[i] + otherRatio * other[i], 0f, 1f);
    }

    /// <summary>x ← x ≥ threshold ? 1 − x : x (torchvision's solarize on float images).</summary>
    public static void Solarize(Span<float> x, float threshold)
    {
        int n = x.Length, i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var (t, one) = (Vector512.Create(threshold), Vector512<float>.One);
            for (; i <= n - 16; i += 16)
            {
                var v = Vector512.Create(x[i..]);
                Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(v, t), one - v, v).CopyTo(x[i..]);
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            var (t, one) = (Vector256.Create(threshold), Vector256<float>.One);
            for (; i <= n - 8; i += 8)
            {
                var v = Vector256.Create(x[i..]);
                Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(v, t), one - v, v).CopyTo(x[i..]);
            }
        }
        for (; i < n; i++) if (x[i] >= threshold) x[i] = 1f - x[i];
    }

    /// <summary>dst = (x − mean) / std (torchvision's normalize).</summary>
    public static void Normalize(ReadOnlySpan<float> x, float mean, float std, Span<float> dst)
    {
        int n = x.Length, i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var (m, s) = (Vector512.Create(mean), Vector512.Create(std));
            for (; i <= n - 16; i += 16) ((Vector512.Create(x[i..]) - m) / s).CopyTo(dst[i..]);
        }
        if (Vector256.IsHardwareAccelerated)
        {
            var (m, s) = (Vector256.Create(mean), Vector256.Create(std));
            for (; i <= n - 8; i += 8) ((Vector256.Create(x[i..]) - m) / s).CopyTo(dst[i..]);
        }
        for (; i < n; i++) dst[i] = (x[i] - mean) / std;
    }

    /// <summary>Sum accumulated in double (torch's float mean sums pairwise; double is at least as close).</summary>
    public static double Sum(ReadOnlySpan<float> x)
    {
        double total = 0;
        int n = x.Length, i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var acc = Vector256<double>.Zero;
            for (; i <= n - 8; i += 8)
            {
                var (lo, hi) = Vector256.Widen(Vector256.Create(x[i..]));
                acc += lo + hi;
            }
            total = Vector256.Sum(acc);
        }
        for (; i < n; i++) total += x[i];
        return total;
    }
}
