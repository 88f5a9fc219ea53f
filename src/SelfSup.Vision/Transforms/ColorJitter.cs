using SelfSup.Engine;

namespace SelfSup.Vision.Transforms;

/// <summary>The four adjustments of <see cref="ColorJitter"/>, numbered as torchvision's fn_idx.</summary>
public enum ColorOp { Brightness = 0, Contrast = 1, Saturation = 2, Hue = 3 }

/// <summary>One draw of <see cref="ColorJitter"/>: the order of the four adjustments and their factors (null = off).</summary>
public readonly record struct ColorJitterParams(ColorOp First, ColorOp Second, ColorOp Third, ColorOp Fourth,
    float? Brightness, float? Contrast, float? Saturation, float? Hue)
{
    public ColorOp this[int i] => i switch { 0 => First, 1 => Second, 2 => Third, 3 => Fourth, _ => throw new IndexOutOfRangeException() };
}

/// <summary>
/// Random brightness, contrast, saturation and hue in random order (torchvision's ColorJitter): factors uniform in
/// [max(0, 1 − b), 1 + b], [max(0, 1 − c), 1 + c], [max(0, 1 − s), 1 + s] and [−h, h]; a zero strength turns the
/// adjustment off. On a grey image saturation and hue do nothing (torchvision matches PIL there).
/// </summary>
public sealed record ColorJitter(float Brightness = 0, float Contrast = 0, float Saturation = 0, float Hue = 0) : IImageTransform
{
    /// <summary>torchvision's get_params: a permutation of the four, then one uniform factor per enabled adjustment.</summary>
    public ColorJitterParams Sample(Generator rng)
    {
        if (Brightness < 0 || Contrast < 0 || Saturation < 0 || Hue is < 0 or > 0.5f)
            throw new ArgumentException($"jitter strengths must be ≥ 0 and hue ≤ 0.5: {this}");
        Span<int> order = [0, 1, 2, 3];
        for (int i = 3; i > 0; i--) { int j = rng.NextInt(i + 1); (order[i], order[j]) = (order[j], order[i]); }
        float? b = Brightness > 0 ? rng.Uniform(Math.Max(0, 1 - Brightness), 1 + Brightness) : null;
        float? c = Contrast > 0 ? rng.Uniform(Math.Max(0, 1 - Contrast), 1 + Contrast) : null;
        float? s = Saturation > 0 ? rng.Uniform(Math.Max(0, 1 - Saturation), 1 + Saturation) : null;
        float? h = Hue > 0 ? rng.Uniform(-Hue, Hue) : null;
        return new((ColorOp)order[0], (ColorOp)order[1], (ColorOp)order[2], (ColorOp)order[3], b, c, s, h);
    }

    public void Apply(FloatImage image, Generator rng) => Apply(image, Sample(rng));

    public static void Apply(FloatImage image, in ColorJitterParams p)
    {
        for (int i = 0; i < 4; i++)
            switch (p[i])
            {
                case ColorOp.Brightness when p.Brightness is float b: ColorAdjust.Brightness(image, b); break;
                case ColorOp.Contrast when p.Contrast is float c: ColorAdjust.Contrast(image, c); break;
                case ColorOp.Saturation when p.Saturation is float s: ColorAdjust.Saturation(image, s); break;
                case ColorOp.Hue when p.Hue is float h: ColorAdjust.Hue(image, h); break;
            }
    }
}

/// <summary>Converts to grey with probability P, keeping the channel count (torchvision's RandomGrayscale).</summary>
public sealed record RandomGrayscale(float P = 0.1f) : IImageTransform
{
    public bool Sample(Generator rng) => rng.NextFloat() < P;

    public void Apply(FloatImage image, Generator rng)
    {
        if (Sample(rng)) ColorAdjust.Grayscale(image);
    }
}

/// <summary>Inverts every sample at or above Threshold (torchvision's solarize on [0, 1] images; BYOL uses 0.5).</summary>
public sealed record Solarize(float Threshold = 0.5f) : IImageTransform
{
    public void Apply(FloatImage image, Generator rng) => PlaneMath.Solarize(image.Pixels, Threshold);
}

/// <summary>Applies the steps with probability P (torchvision's RandomApply: skipped when P &lt; rand).</summary>
public sealed record RandomApply(float P, params IImageTransform[] Steps) : IImageTransform
{
    public bool Sample(Generator rng) => !(P < rng.NextFloat());

    public void Apply(FloatImage image, Generator rng)
    {
        if (!Sample(rng)) return;
        foreach (var step in Steps) step.Apply(image, rng);
    }

    public override string ToString() => $"RandomApply {{ P = {P}, Steps = [{string.Join(", ", Steps.Select(s => s.ToString()))}] }}";
}
