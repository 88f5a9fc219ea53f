namespace SelfSup.Vision.Transforms;

/// <summary>
/// The parts every method's views are built from (the methods' own pipelines are their recipes', in Training), with the
/// small-image adjustments they share:
/// <list type="bullet">
/// <item>no Gaussian blur at ≤ 64 px (SimCLR appendix B.9 drops it on CIFAR; the MoCo CIFAR demo and solo-learn's
/// CIFAR configs too);</item>
/// <item>grey images take brightness and contrast only (saturation, hue and grayscale are no-ops on one channel);</item>
/// <item>normalisation: ImageNet at 224, CIFAR-10 for small RGB, Fashion-MNIST for grey (<see cref="Normalize.For"/>).</item>
/// </list>
/// Blur at 224 is torchvision's GaussianBlur with a kernel of 10% of the image size rounded up to odd (23 at 224,
/// SimCLR's and BYOL's choice); MoCo v2 and Barlow Twins used PIL's radius-σ blur, for which this is the usual stand-in.
/// </summary>
public static class ViewParts
{
    /// <summary>Images of this size or less get the small-data recipe.</summary>
    public const int SmallImageSize = 64;

    /// <summary>Whether views of <paramref name="size"/> px take the small-data adjustments.</summary>
    public static bool IsSmall(int size) => size <= SmallImageSize;

    /// <summary>Evaluation view: shorter side to size·256/224 (256 at 224; unchanged at small sizes), centre crop, normalise.</summary>
    public static IViewTransform Eval(int imageSize, int channels) => new Compose(
        new Resize(IsSmall(imageSize) ? imageSize : imageSize * 256 / 224),
        new CenterCrop(imageSize),
        Normalize.For(imageSize, channels));

    /// <summary>Odd kernel of 10% of the image size (SimCLR): 23 at 224.</summary>
    public static int BlurKernelSize(int size) => Math.Max(3, (size / 10) | 1);

    /// <summary>Gaussian blur σ 0.1–2 with probability <paramref name="p"/>; none at small sizes or p 0.</summary>
    public static IImageTransform? Blur(int size, float p) =>
        IsSmall(size) || p <= 0 ? null
        : p >= 1 ? new GaussianBlur(BlurKernelSize(size), 0.1f, 2f)
        : new RandomApply(p, new GaussianBlur(BlurKernelSize(size), 0.1f, 2f));

    /// <summary>Random grayscale with probability <paramref name="p"/>; none for grey images.</summary>
    public static IImageTransform? Gray(int channels, float p) => channels == 3 ? new RandomGrayscale(p) : null;

    /// <summary>ColorJitter; grey images keep brightness and contrast only.</summary>
    public static ColorJitter Jitter(int channels, float b, float c, float s, float h) =>
        channels == 3 ? new ColorJitter(b, c, s, h) : new ColorJitter(b, c);

    /// <summary>One view: the steps in order, the absent (null) ones left out.</summary>
    public static Compose View(int channels, params IImageTransform?[] steps) => new(channels, steps.OfType<IImageTransform>().ToArray());
}
