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
        for (int i = 0; i < rs.Length; i++)
        {
            float r = rs[i], g = gs[i], b = bs[i];
            float maxc = MathF.Max(r, MathF.Max(g, b)), minc = MathF.Min(r, MathF.Min(g, b));
            bool eqc = maxc == minc;
            float cr = maxc - minc;
            float s = cr / (eqc ? 1f : maxc);
            float crDivisor = eqc ? 1f : cr;
            float rc = (maxc - r) / crDivisor, gc = (maxc - g) / crDivisor, bc = (maxc - b) / crDivisor;
            float h = maxc == r ? bc - gc
                : maxc == g ? 2f + rc - bc
                : 4f + gc - rc;
            h = (h / 6f + 1f) % 1f;                         // torch.fmod
            h = Remainder(h + shift);                       // torch's % (sign of the divisor)
            float v = maxc;
            float i6 = MathF.Floor(h * 6f);
            float f = h * 6f - i6;
            int sector = (int)i6 % 6;
            float p = Math.Clamp(v * (1f - s), 0f, 1f);
            float q = Math.Clamp(v * (1f - s * f), 0f, 1f);
            float t = Math.Clamp(v * (1f - s * (1f - f)), 0f, 1f);
            (rs[i], gs[i], bs[i]) = sector switch
            {
                0 => (v, t, p),
                1 => (q, v, p),
                2 => (p, v, t),
                3 => (p, q, v),
                4 => (t, p, v),
                _ => (v, p, q),
            };
        }
    }

    static float Remainder(float x)
    {
        float m = x % 1f;
        return m != 0 && m < 0 ? m + 1f : m;
    }
}
