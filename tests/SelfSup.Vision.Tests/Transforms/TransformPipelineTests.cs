using static SelfSup.Testing.ViewSamples;
using Xunit;
using SelfSup.Engine;
using SelfSup.Vision.Transforms;

namespace SelfSup.Vision.Tests;

/// <summary>Compose, view parts, determinism, grey images, and the SIMD kernels against their scalar definitions.</summary>
public class TransformPipelineTests
{
    [Fact]
    public void Same_seed_gives_the_same_view_and_another_seed_a_different_one()
    {
        var view = ViewParts.View(3, new RandomResizedCrop(224, MinScale: 0.2f), new RandomApply(0.8f, ViewParts.Jitter(3, 0.4f, 0.4f, 0.4f, 0.1f)),
            ViewParts.Gray(3, 0.2f), ViewParts.Blur(224, 0.5f), new HorizontalFlip(0.5f), Normalize.For(224, 3));
        var image = RandomImage(300, 250, 3, 1);
        Assert.Equal(View(view, image, 42), View(view, image, 42));
        Assert.NotEqual(View(view, image, 42), View(view, image, 43));
    }

    [Fact]
    public void Views_do_not_depend_on_the_thread_that_computes_them()
    {
        var view = ViewParts.View(3, new RandomResizedCrop(32), new HorizontalFlip(0.5f), new RandomApply(0.8f, ViewParts.Jitter(3, 0.4f, 0.4f, 0.2f, 0.1f)),
            ViewParts.Gray(3, 0.2f), new RandomApply(0.2f, new Solarize(0.5f)), Normalize.For(32, 3));
        var image = RandomImage(32, 32, 3, 2);
        var expected = Enumerable.Range(0, 16).Select(i => View(view, image, (ulong)i)).ToArray();
        var parallel = new float[16][];
        Parallel.For(0, 16, i => parallel[i] = View(view, image, (ulong)i));
        for (int i = 0; i < 16; i++) Assert.Equal(expected[i], parallel[i]);
    }

    [Fact]
    public void Leading_crop_from_the_decoded_image_equals_loading_everything_then_cropping()
    {
        var image = RandomImage(45, 37, 3, 3);
        var crop = new RandomResizedCrop(20, MinScale: 0.1f, Interpolation: Interpolation.Bicubic);
        var direct = new FloatImage();
        crop.LoadAndApply(image, 3, direct, new Generator(5));
        var whole = new FloatImage();
        whole.Load(image, 3);
        crop.Apply(whole, new Generator(5));
        Assert.Equal(whole.Pixels.ToArray(), direct.Pixels.ToArray());
    }

    [Fact]
    public void Grey_images_take_brightness_and_contrast_only()
    {
        var gray = new FloatImage(1, 4, 4, Enumerable.Range(0, 16).Select(i => i / 20f).ToArray());
        var before = gray.Pixels.ToArray();
        ColorAdjust.Saturation(gray, 0.3f);
        ColorAdjust.Hue(gray, 0.4f);
        ColorAdjust.Grayscale(gray);
        Assert.Equal(before, gray.Pixels.ToArray());
        ColorAdjust.Brightness(gray, 1.5f);
        Assert.Equal(before.Select(v => Math.Min(1f, 1.5f * v)), gray.Pixels.ToArray());
        Assert.Equal(new ColorJitter(0.4f, 0.4f), ViewParts.Jitter(1, 0.4f, 0.4f, 0.4f, 0.1f));
        Assert.Null(ViewParts.Gray(1, 0.2f));
    }

    [Fact]
    public void Contrast_keeps_the_mean_grey_and_scales_deviations()
    {
        var img = new FloatImage(1, 1, 4, [0.2f, 0.4f, 0.6f, 0.8f]);       // mean 0.5
        ColorAdjust.Contrast(img, 0.5f);
        Assert.Equal([0.35f, 0.45f, 0.55f, 0.65f], img.Pixels.ToArray().Select(v => MathF.Round(v, 5)));
    }

    [Fact]
    public void Hue_shift_of_a_third_turn_rotates_primaries()
    {
        var img = new FloatImage(3, 1, 3, [1, 0, 0, 0, 1, 0, 0, 0, 1]);   // red, green, blue pixels
        ColorAdjust.Hue(img, 1f / 3);
        Assert.Equal([0, 0, 1, 1, 0, 0, 0, 1, 0], img.Pixels.ToArray().Select(v => MathF.Round(v, 5)));   // → green, blue, red
    }

    [Fact]
    public void Grey_source_is_replicated_for_rgb_views_and_rgb_is_greyed_for_grey_views()
    {
        var gray = RandomImage(5, 4, 1, 6);
        var img = new FloatImage();
        img.Load(gray, 3);
        Assert.Equal(img.Plane(0).ToArray(), img.Plane(2).ToArray());
        Assert.Equal(gray.Pixels[7] / 255f, img.Plane(1)[7]);
        var rgb = RandomImage(5, 4, 3, 7);
        img.Load(rgb, 1);
        Assert.Equal(1, img.Channels);
        Assert.Equal(0.2989f * (rgb.Pixels[9] / 255f) + 0.587f * (rgb.Pixels[10] / 255f) + 0.114f * (rgb.Pixels[11] / 255f), img.Plane(0)[3]);
    }

    [Fact]
    public void Eval_view_resizes_the_shorter_side_then_centre_crops()
    {
        var eval = (Compose)ViewParts.Eval(224, 3);
        Assert.Equal(new Resize(256), eval.Steps[0]);
        var img = new FloatImage(1, 300, 400, new float[300 * 400]);
        Assert.Equal((256, 341), new Resize(256).OutputSize(img.Height, img.Width));
    }

    [Fact]
    public void Plane_kernels_match_their_scalar_definition_for_every_length_up_to_67()
    {
        var rng = new Generator(10);
        for (int n = 0; n <= 67; n++)
        {
            var a = Enumerable.Range(0, n).Select(_ => rng.NextFloat() * 1.2f - 0.1f).ToArray();
            var b = Enumerable.Range(0, n).Select(_ => rng.NextFloat()).ToArray();
            var c = Enumerable.Range(0, n).Select(_ => rng.NextFloat()).ToArray();
            var dst = new float[n];
            PlaneMath.Grayscale(a, b, c, dst);
            for (int i = 0; i < n; i++) Assert.Equal(0.2989f * a[i] + 0.587f * b[i] + 0.114f * c[i], dst[i]);
            var x = (float[])a.Clone();
            PlaneMath.BlendPlanes(x, 1.3f, -0.3f, b);
            for (int i = 0; i < n; i++) Assert.Equal(Math.Clamp(1.3f * a[i] + -0.3f * b[i], 0f, 1f), x[i]);
            x = (float[])a.Clone();
            PlaneMath.BlendConstant(x, 0.7f, 0.15f);
            for (int i = 0; i < n; i++) Assert.Equal(Math.Clamp(0.7f * a[i] + 0.15f, 0f, 1f), x[i]);
            x = (float[])a.Clone();
            PlaneMath.Solarize(x, 0.5f);
            for (int i = 0; i < n; i++) Assert.Equal(a[i] >= 0.5f ? 1 - a[i] : a[i], x[i]);
            PlaneMath.Normalize(a, 0.4f, 0.25f, dst);
            for (int i = 0; i < n; i++) Assert.Equal((a[i] - 0.4f) / 0.25f, dst[i]);
            Assert.Equal(a.Sum(v => (double)v), PlaneMath.Sum(a), 9);
        }
    }
    [Theory]
    [InlineData(7, 9, 3)]
    [InlineData(4, 5, 5)]
    [InlineData(1, 6, 3)]
    [InlineData(12, 3, 9)]
    [InlineData(16, 16, 1)]
    public void Blur_equals_a_direct_reflect_padded_convolution_at_any_size(int h, int w, int kernel)
    {
        var rng = new Generator(11);
        var x = Enumerable.Range(0, 2 * h * w).Select(_ => rng.NextFloat()).ToArray();
        var img = new FloatImage(2, h, w, x);
        GaussianBlur.Blur(img, kernel, 0.8f);
        var k = GaussianBlur.Kernel(kernel, 0.8f);
        static int Reflect(int i, int n) { if (n == 1) return 0; while (i < 0 || i >= n) i = i < 0 ? -i : 2 * (n - 1) - i; return i; }
        int r = kernel / 2;
        for (int c = 0; c < 2; c++)
            for (int y = 0; y < h; y++)
                for (int xx = 0; xx < w; xx++)
                {
                    double expected = 0;
                    for (int a = 0; a < kernel; a++)
                        for (int b = 0; b < kernel; b++)
                            expected += k[a] * k[b] * x[c * h * w + Reflect(y - r + a, h) * w + Reflect(xx - r + b, w)];
                    Assert.Equal(expected, img.Plane(c)[y * w + xx], 5);
                }
    }
}
