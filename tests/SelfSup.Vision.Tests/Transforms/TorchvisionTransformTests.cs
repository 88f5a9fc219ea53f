using Xunit;
using SelfSup.Vision.Transforms;
using static SelfSup.Vision.Tests.TransformFixtures;

namespace SelfSup.Vision.Tests;

/// <summary>Every transform against torchvision 0.14's tensor code on the same input with the same parameters.</summary>
public class TorchvisionTransformTests
{
    public static TheoryData<string> Cases() => new(Names);

    /// <summary>Absolute tolerance on [0, 1] outputs: float rounding of a different but equivalent evaluation order
    /// (separable blur vs 2-D conv, double vs pairwise mean). Normalised outputs are scaled by 1/std ≈ 4, hence 4×.</summary>
    const float Tolerance = 2e-6f, NormalisedTolerance = 1e-5f;

    [Theory, MemberData(nameof(Cases))]
    public void Transform_matches_torchvision(string name)
    {
        var c = Get(name);
        var p = c.Params;
        var image = ToImage(c.Input);
        float tolerance = Tolerance;
        switch (c.Op)
        {
            case "resized_crop":
                Resampling.ResizedCrop(image, new CropBox((int)p[0], (int)p[1], (int)p[2], (int)p[3]), (int)p[4], (int)p[5], Interp(p[6]));
                break;
            case "resize": new Resize((int)p[0], Interp(p[1])).Apply(image, null!); break;
            case "center_crop": new CenterCrop((int)p[0]).Apply(image, null!); break;
            case "brightness": ColorAdjust.Brightness(image, p[0]); break;
            case "contrast": ColorAdjust.Contrast(image, p[0]); break;
            case "saturation": ColorAdjust.Saturation(image, p[0]); break;
            case "hue": ColorAdjust.Hue(image, p[0]); break;
            case "grayscale": ColorAdjust.Grayscale(image); break;
            case "hflip": HorizontalFlip.Flip(image); break;
            case "solarize": new Solarize(p[0]).Apply(image, null!); break;
            case "blur": GaussianBlur.Blur(image, (int)p[0], p[1]); break;
            case "normalize": new Normalize(p[..3], p[3..]).Apply(image, null!); tolerance = NormalisedTolerance; break;
            case "jitter": ColorJitter.Apply(image, Jitter(p)); break;
            case "mocov2_32": image = MoCoV2View(c, p); tolerance = NormalisedTolerance; break;
            default: throw new InvalidOperationException($"fixture op '{c.Op}' has no test mapping");
        }
        AssertClose(c.Output, image.Pixels, [image.Channels, image.Height, image.Width], tolerance, name);
    }

    static Interpolation Interp(float bicubic) => bicubic != 0 ? Interpolation.Bicubic : Interpolation.Bilinear;

    static ColorJitterParams Jitter(ReadOnlySpan<float> p) =>
        new((ColorOp)p[0], (ColorOp)p[1], (ColorOp)p[2], (ColorOp)p[3], p[4], p[5], p[6], p[7]);

    /// <summary>The MoCo v2 32-px view from the decoded bytes: crop window loaded from the RawImage, resized, jittered,
    /// greyed, blurred, flipped, normalised into a destination span as Compose does.</summary>
    static FloatImage MoCoV2View(TransformFixtures.Case c, float[] p)
    {
        var image = new FloatImage();
        image.Load(ToRaw(c.Input), 3, (int)p[0], (int)p[1], (int)p[2], (int)p[3]);
        Resampling.Resize(image, 32, 32, Interpolation.Bilinear);
        if (p[4] != 0) ColorJitter.Apply(image, Jitter(p.AsSpan(5)));
        if (p[13] != 0) ColorAdjust.Grayscale(image);
        if (p[14] != 0) GaussianBlur.Blur(image, 3, p[15]);
        if (p[16] != 0) HorizontalFlip.Flip(image);
        var view = new float[3 * 32 * 32];
        Normalize.Cifar10.WriteTo(image, view);
        return new FloatImage(3, 32, 32, view);
    }

    [Fact]
    public void Every_fixture_op_is_covered()
    {
        var ops = Names.Select(n => Get(n).Op).ToHashSet();
        Assert.Superset(ops, new HashSet<string> { "resized_crop", "resize", "center_crop", "brightness", "contrast", "saturation",
            "hue", "grayscale", "hflip", "solarize", "blur", "normalize", "jitter", "mocov2_32" });
    }

    [Fact]
    public void Blur_kernel_matches_torchvision_formula()
    {
        var k = GaussianBlur.Kernel(3, 1f);
        double e = Math.Exp(-0.5), total = 1 + 2 * e;                    // exp(−x²/2σ²) at x = −1, 0, 1
        Assert.Equal(e / total, k[0], 6);
        Assert.Equal(1 / total, k[1], 6);
        Assert.Equal(k[0], k[2]);
    }
}
