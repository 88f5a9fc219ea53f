using System.Runtime.Intrinsics;

namespace SelfSup.Vision.Transforms;

/// <summary>
/// torchvision.transforms.functional's colour adjustments on float images (functional_tensor, 0.14), in place.
/// Each reproduces the reference's float expression; results are clamped to [0, 1] where torchvision's _blend clamps.
/// </summary>
public static class ColorAdjust
{
    /// <summary>x ← clamp(f·x) (adjust_brightness: blend with black).</summary>
    public static void Brightness(FloatImage image, float factor) => PlaneMath.BlendConstant(image.Pixels, factor, 0f);

    /// <summary>x ← clamp(f·x + (1 − f)·mean(grey(x))) (adjust_contrast; a grey image uses its own mean).</summary>
    public static void Contrast(FloatImage image, float factor)
    {
        double sum;
        if (image.Channels == 3)
        {
            var gray = image.Scratch(image.PlaneSize);
            PlaneMath.Grayscale(image.Plane(0), image.Plane(1), image.Plane(2), gray);
            sum = PlaneMath.Sum(gray);
        }
        else sum = PlaneMath.Sum(image.Pixels);
        float mean = (float)(sum / (image.Channels == 3 ? image.PlaneSize : image.Pixels.Length));
        PlaneMath.BlendConstant(image.Pixels, factor, (float)(1.0 - factor) * mean);
    }

    /// <summary>x ← clamp(f·x + (1 − f)·grey(x)) per channel (adjust_saturation); nothing on a grey image.</summary>
    public static void Saturation(FloatImage image, float factor)
    {
        if (image.Channels != 3) return;
        var gray = image.Scratch(image.PlaneSize);
        PlaneMath.Grayscale(image.Plane(0), image.Plane(1), image.Plane(2), gray);
        float other = (float)(1.0 - factor);
        for (int c = 0; c < 3; c++) PlaneMath.BlendPlanes(image.Plane(c), factor, other, gray);
    }

    /// <summary>All channels ← 0.2989·R + 0.587·G + 0.114·B (rgb_to_grayscale keeping 3 channels); nothing on grey.</summary>
    public static void Grayscale(FloatImage image)
    {
        if (image.Channels != 3) return;
        PlaneMath.Grayscale(image.Plane(0), image.Plane(1), image.Plane(2), image.Plane(0));
        image.Plane(0).CopyTo(image.Plane(1));
        image.Plane(0).CopyTo(image.Plane(2));
    }

    /// <summary>
    /// Rotates hue by <paramref name="shift"/> turns (adjust_hue, |shift| ≤ ½): RGB → HSV as torchvision's _rgb2hsv,
    /// h ← (h + shift) mod 1, HSV → RGB as _hsv2rgb (p, q, t clamped to [0, 1]). Nothing on a grey image.
    /// </summary>
    public static void Hue(FloatImage image, float shift)
    {
        if (image.Channels != 3) return;
        var rs = image.Plane(0);
        var gs = image.Plane(1);
        var bs = image.Plane(2);
        int n = rs.Length, i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= n - 16; i += 16)
            {
                var (r, g, b) = HueShift(Vector512.Create(rs[i..]), Vector512.Create(gs[i..]), Vector512.Create(bs[i..]), Vector512.Create(shift));
                r.CopyTo(rs[i..]); g.CopyTo(gs[i..]); b.CopyTo(bs[i..]);
            }
        if (Vector256.IsHardwareAccelerated)
            for (; i <= n - 8; i += 8)
            {
                var (r, g, b) = HueShift(Vector256.Create(rs[i..]), Vector256.Create(gs[i..]), Vector256.Create(bs[i..]), Vector256.Create(shift));
                r.CopyTo(rs[i..]); g.CopyTo(gs[i..]); b.CopyTo(bs[i..]);
            }
        for (; i < n; i++) (rs[i], gs[i], bs[i]) = HueShift(rs[i], gs[i], bs[i], shift);
    }

    /// <summary>One pixel of <see cref="Hue"/>: the scalar definition the vector paths follow step by step.</summary>
    static (float R, float G, float B) HueShift(float r, float g, float b, float shift)
    {
        float maxc = MathF.Max(r, MathF.Max(g, b)), minc = MathF.Min(r, MathF.Min(g, b));
        bool eqc = maxc == minc;
        float cr = maxc - minc;
        float s = cr / (eqc ? 1f : maxc);
        float crDivisor = eqc ? 1f : cr;
        float rc = (maxc - r) / crDivisor, gc = (maxc - g) / crDivisor, bc = (maxc - b) / crDivisor;
        float h = maxc == r ? bc - gc
            : maxc == g ? 2f + rc - bc
            : 4f + gc - rc;
        h = Remainder(h / 6f + 1f);                     // torch.fmod(·, 1) of a positive value
        h = Remainder(h + shift);                       // torch's % (sign of the divisor)
        float v = maxc;
        float i6 = MathF.Floor(h * 6f);
        float f = h * 6f - i6;
        float p = Math.Clamp(v * (1f - s), 0f, 1f);
        float q = Math.Clamp(v * (1f - s * f), 0f, 1f);
        float t = Math.Clamp(v * (1f - s * (1f - f)), 0f, 1f);
        return ((int)i6 % 6) switch
        {
            0 => (v, t, p),
            1 => (q, v, p),
            2 => (p, v, t),
            3 => (p, q, v),
            4 => (t, p, v),
            _ => (v, p, q),
        };
    }

    static (Vector512<float>, Vector512<float>, Vector512<float>) HueShift(Vector512<float> r, Vector512<float> g, Vector512<float> b, Vector512<float> shift)
    {
        var (one, zero) = (Vector512<float>.One, Vector512<float>.Zero);
        var maxc = Vector512.Max(r, Vector512.Max(g, b));
        var minc = Vector512.Min(r, Vector512.Min(g, b));
        var eqc = Vector512.Equals(maxc, minc);
        var cr = maxc - minc;
        var s = cr / Vector512.ConditionalSelect(eqc, one, maxc);
        var crDivisor = Vector512.ConditionalSelect(eqc, one, cr);
        var (rc, gc, bc) = ((maxc - r) / crDivisor, (maxc - g) / crDivisor, (maxc - b) / crDivisor);
        var h = Vector512.ConditionalSelect(Vector512.Equals(maxc, r), bc - gc,
            Vector512.ConditionalSelect(Vector512.Equals(maxc, g), Vector512.Create(2f) + rc - bc, Vector512.Create(4f) + gc - rc));
        h = h / Vector512.Create(6f) + one;
        h -= Vector512.Floor(h);
        h += shift;
        h -= Vector512.Floor(h);
        var h6 = h * Vector512.Create(6f);
        var i6 = Vector512.Floor(h6);
        var f = h6 - i6;
        var v = maxc;
        var p = Vector512.Min(Vector512.Max(v * (one - s), zero), one);
        var q = Vector512.Min(Vector512.Max(v * (one - s * f), zero), one);
        var t = Vector512.Min(Vector512.Max(v * (one - s * (one - f)), zero), one);
        // Sector i6 ∈ 0..6 (6 only when h·6 rounds up to 6, which is sector 0).
        var s1 = Vector512.Equals(i6, one);
        var s2 = Vector512.Equals(i6, Vector512.Create(2f));
        var s3 = Vector512.Equals(i6, Vector512.Create(3f));
        var s4 = Vector512.Equals(i6, Vector512.Create(4f));
        var s5 = Vector512.Equals(i6, Vector512.Create(5f));
        var red = Vector512.ConditionalSelect(s1, q, Vector512.ConditionalSelect(s2 | s3, p, Vector512.ConditionalSelect(s4, t, v)));
        var green = Vector512.ConditionalSelect(s1 | s2, v, Vector512.ConditionalSelect(s3, q, Vector512.ConditionalSelect(s4 | s5, p, t)));
        var blue = Vector512.ConditionalSelect(s3 | s4, v, Vector512.ConditionalSelect(s2, t, Vector512.ConditionalSelect(s5, q, p)));
        return (red, green, blue);
    }

    static (Vector256<float>, Vector256<float>, Vector256<float>) HueShift(Vector256<float> r, Vector256<float> g, Vector256<float> b, Vector256<float> shift)
    {
        var (one, zero) = (Vector256<float>.One, Vector256<float>.Zero);
        var maxc = Vector256.Max(r, Vector256.Max(g, b));
        var minc = Vector256.Min(r, Vector256.Min(g, b));
        var eqc = Vector256.Equals(maxc, minc);
        var cr = maxc - minc;
        var s = cr / Vector256.ConditionalSelect(eqc, one, maxc);
        var crDivisor = Vector256.ConditionalSelect(eqc, one, cr);
        var (rc, gc, bc) = ((maxc - r) / crDivisor, (maxc - g) / crDivisor, (maxc - b) / crDivisor);
        var h = Vector256.ConditionalSelect(Vector256.Equals(maxc, r), bc - gc,
            Vector256.ConditionalSelect(Vector256.Equals(maxc, g), Vector256.Create(2f) + rc - bc, Vector256.Create(4f) + gc - rc));
        h = h / Vector256.Create(6f) + one;
        h -= Vector256.Floor(h);
        h += shift;
        h -= Vector256.Floor(h);
        var h6 = h * Vector256.Create(6f);
        var i6 = Vector256.Floor(h6);
        var f = h6 - i6;
        var v = maxc;
        var p = Vector256.Min(Vector256.Max(v * (one - s), zero), one);
        var q = Vector256.Min(Vector256.Max(v * (one - s * f), zero), one);
        var t = Vector256.Min(Vector256.Max(v * (one - s * (one - f)), zero), one);
        var s1 = Vector256.Equals(i6, one);
        var s2 = Vector256.Equals(i6, Vector256.Create(2f));
        var s3 = Vector256.Equals(i6, Vector256.Create(3f));
        var s4 = Vector256.Equals(i6, Vector256.Create(4f));
        var s5 = Vector256.Equals(i6, Vector256.Create(5f));
        var red = Vector256.ConditionalSelect(s1, q, Vector256.ConditionalSelect(s2 | s3, p, Vector256.ConditionalSelect(s4, t, v)));
        var green = Vector256.ConditionalSelect(s1 | s2, v, Vector256.ConditionalSelect(s3, q, Vector256.ConditionalSelect(s4 | s5, p, t)));
        var blue = Vector256.ConditionalSelect(s3 | s4, v, Vector256.ConditionalSelect(s2, t, Vector256.ConditionalSelect(s5, q, p)));
        return (red, green, blue);
    }

    /// <summary>x mod 1 with the divisor's sign (torch.remainder / fmod of a positive value): x − ⌊x⌋ is exact for |x| &lt; 2²³
    /// and rounds once exactly where fmod(x, 1) + 1 does.</summary>
    static float Remainder(float x) => x - MathF.Floor(x);
}
