namespace SelfSup.Vision.Transforms;

/// <summary>
/// The views each method takes of an image, after its paper and official code, at 224 px ("paper") and at small sizes
/// (≤ 64 px: CIFAR 32×32 RGB, Fashion-MNIST 28×28 grey) with the small-data recipes' adjustments:
/// <list type="bullet">
/// <item>no Gaussian blur at ≤ 64 px (SimCLR appendix B.9 drops it on CIFAR; the MoCo CIFAR demo and solo-learn's
/// CIFAR configs too);</item>
/// <item>grey images take brightness and contrast only (saturation, hue and grayscale are no-ops on one channel);</item>
/// <item>normalisation: ImageNet at 224, CIFAR-10 for small RGB, Fashion-MNIST for grey (<see cref="Normalize.For"/>).</item>
/// </list>
/// Blur at 224 is torchvision's GaussianBlur with a kernel of 10% of the image size rounded up to odd (23 at 224,
/// SimCLR's and BYOL's choice); MoCo v2 and Barlow Twins used PIL's radius-σ blur, for which this is the usual stand-in.
/// </summary>
public static class Presets
{
    /// <summary>Images of this size or less get the small-data recipe.</summary>
    public const int SmallImageSize = 64;

    public static IReadOnlyList<string> Methods { get; } = ["instdisc", "mocov1", "mocov2", "simclr", "byol", "barlowtwins", "mocov3", "densecl"];

    /// <summary>The training views of <paramref name="method"/> for views of <paramref name="imageSize"/>² and
    /// <paramref name="channels"/> channels.</summary>
    public static MultiView For(string method, int imageSize, int channels) => method switch
    {
        "instdisc" => InstDisc(imageSize, channels),
        "mocov1" => MoCoV1(imageSize, channels),
        "mocov2" => MoCoV2(imageSize, channels),
        "simclr" => SimClr(imageSize, channels),
        "byol" => Byol(imageSize, channels),
        "barlowtwins" => BarlowTwins(imageSize, channels),
        "mocov3" => MoCoV3(imageSize, channels),
        "densecl" => DenseCL(imageSize, channels),
        _ => throw new ArgumentException($"no augmentation preset for method '{method}'; known: {string.Join(", ", Methods)}"),
    };

    /// <summary>Evaluation view: shorter side to size·256/224 (256 at 224; unchanged at small sizes), centre crop, normalise.</summary>
    public static IViewTransform Eval(int imageSize, int channels) => new Compose(
        new Resize(IsSmall(imageSize) ? imageSize : imageSize * 256 / 224),
        new CenterCrop(imageSize),
        Normalize.For(imageSize, channels));

    /// <summary>InstDisc (Wu et al. 2018; lemniscate.pytorch main.py / cifar.py): one view; crop scale 0.2–1, grayscale 0.2,
    /// ColorJitter(0.4, 0.4, 0.4, 0.4) always, flip. Same recipe at 32 px in the official CIFAR script.</summary>
    public static MultiView InstDisc(int size, int channels) => new([View(channels,
        new RandomResizedCrop(size, MinScale: 0.2f), Gray(channels, 0.2f), Jitter(channels, 0.4f, 0.4f, 0.4f, 0.4f), new HorizontalFlip(0.5f),
        Normalize.For(size, channels))]);

    /// <summary>MoCo v1 (He et al. 2020; facebookresearch/moco main_moco.py without --aug-plus): crop 0.2–1, grayscale 0.2,
    /// ColorJitter(0.4, 0.4, 0.4, 0.4) always, flip. Small: the MoCo CIFAR demo's recipe (see <see cref="MoCoV2"/>).</summary>
    public static MultiView MoCoV1(int size, int channels) => IsSmall(size) ? MoCoSmall(size, channels)
        : MultiView.Twice(View(channels,
            new RandomResizedCrop(size, MinScale: 0.2f), Gray(channels, 0.2f), Jitter(channels, 0.4f, 0.4f, 0.4f, 0.4f),
            new HorizontalFlip(0.5f), Normalize.For(size, channels)));

    /// <summary>MoCo v2 "aug+" (Chen et al. 2020; main_moco.py --aug-plus): crop 0.2–1, ColorJitter(0.4, 0.4, 0.4, 0.1) p 0.8,
    /// grayscale 0.2, blur σ 0.1–2 p 0.5, flip. Small (MoCo CIFAR-10 demo notebook): crop 0.08–1, jitter p 0.8,
    /// grayscale 0.2, flip, no blur.</summary>
    public static MultiView MoCoV2(int size, int channels) => IsSmall(size) ? MoCoSmall(size, channels)
        : MultiView.Twice(View(channels,
            new RandomResizedCrop(size, MinScale: 0.2f), new RandomApply(0.8f, Jitter(channels, 0.4f, 0.4f, 0.4f, 0.1f)),
            Gray(channels, 0.2f), Blur(size, 0.5f), new HorizontalFlip(0.5f), Normalize.For(size, channels)));

    static MultiView MoCoSmall(int size, int channels) => MultiView.Twice(View(channels,
        new RandomResizedCrop(size), new RandomApply(0.8f, Jitter(channels, 0.4f, 0.4f, 0.4f, 0.1f)),
        Gray(channels, 0.2f), new HorizontalFlip(0.5f), Normalize.For(size, channels)));

    /// <summary>SimCLR (Chen et al. 2020, appendix A; google-research/simclr data_util.py): crop 0.08–1, flip,
    /// ColorJitter(0.8s, 0.8s, 0.8s, 0.2s) p 0.8, grayscale 0.2, blur p 0.5 with a kernel of 10% of the image.
    /// Strength s = 1 at 224; s = 0.5 and no blur on CIFAR (appendix B.9).</summary>
    public static MultiView SimClr(int size, int channels, float? strength = null)
    {
        float s = strength ?? (IsSmall(size) ? 0.5f : 1f);
        return MultiView.Twice(View(channels,
            new RandomResizedCrop(size), new HorizontalFlip(0.5f),
            new RandomApply(0.8f, Jitter(channels, 0.8f * s, 0.8f * s, 0.8f * s, 0.2f * s)), Gray(channels, 0.2f),
            Blur(size, 0.5f), Normalize.For(size, channels)));
    }

    /// <summary>BYOL (Grill et al. 2020, table 6): crop 0.08–1, flip, ColorJitter(0.4, 0.4, 0.2, 0.1) p 0.8, grayscale 0.2;
    /// blur p 1.0 / 0.1 and solarize p 0 / 0.2 for the two views. Small: no blur, solarize kept.</summary>
    public static MultiView Byol(int size, int channels) => Asymmetric(size, channels, flipFirst: true);

    /// <summary>Barlow Twins (Zbontar et al. 2021; facebookresearch/barlowtwins main.py Transform): BYOL's views
    /// (crop, flip, jitter 0.4/0.4/0.2/0.1 p 0.8, grayscale 0.2, blur 1.0 / 0.1, solarize 0 / 0.2), bicubic crop.</summary>
    public static MultiView BarlowTwins(int size, int channels) => Asymmetric(size, channels, flipFirst: true, Interpolation.Bicubic);

    /// <summary>MoCo v3 (Chen et al. 2021; facebookresearch/moco-v3 main_moco.py): BYOL's views with the flip last,
    /// crop 0.08–1.</summary>
    public static MultiView MoCoV3(int size, int channels) => Asymmetric(size, channels, flipFirst: false);

    /// <summary>DenseCL (Wang et al. 2021; official config = MoCo v2's pipeline): crop 0.2–1, jitter p 0.8, grayscale 0.2,
    /// blur p 0.5, flip. Small: the MoCo CIFAR recipe.</summary>
    public static MultiView DenseCL(int size, int channels) => MoCoV2(size, channels);

    static MultiView Asymmetric(int size, int channels, bool flipFirst, Interpolation interpolation = Interpolation.Bilinear)
    {
        IViewTransform Make(float blurP, float solarizeP)
        {
            var steps = new List<IImageTransform?> { new RandomResizedCrop(size, Interpolation: interpolation) };
            if (flipFirst) steps.Add(new HorizontalFlip(0.5f));
            steps.Add(new RandomApply(0.8f, Jitter(channels, 0.4f, 0.4f, 0.2f, 0.1f)));
            steps.Add(Gray(channels, 0.2f));
            steps.Add(Blur(size, blurP));
            if (solarizeP > 0) steps.Add(new RandomApply(solarizeP, new Solarize(0.5f)));
            if (!flipFirst) steps.Add(new HorizontalFlip(0.5f));
            steps.Add(Normalize.For(size, channels));
            return View(channels, [.. steps]);
        }
        return new MultiView([Make(blurP: 1.0f, solarizeP: 0f), Make(blurP: 0.1f, solarizeP: 0.2f)]);
    }

    static bool IsSmall(int size) => size <= SmallImageSize;

    /// <summary>Odd kernel of 10% of the image size (SimCLR): 23 at 224.</summary>
    public static int BlurKernelSize(int size) => Math.Max(3, (size / 10) | 1);

    static IImageTransform? Blur(int size, float p) =>
        IsSmall(size) || p <= 0 ? null
        : p >= 1 ? new GaussianBlur(BlurKernelSize(size), 0.1f, 2f)
        : new RandomApply(p, new GaussianBlur(BlurKernelSize(size), 0.1f, 2f));

    static IImageTransform? Gray(int channels, float p) => channels == 3 ? new RandomGrayscale(p) : null;

    /// <summary>Grey images keep brightness and contrast only.</summary>
    static ColorJitter Jitter(int channels, float b, float c, float s, float h) =>
        channels == 3 ? new ColorJitter(b, c, s, h) : new ColorJitter(b, c);

    static Compose View(int channels, params IImageTransform?[] steps) => new(channels, steps.OfType<IImageTransform>().ToArray());
}
