using Xunit;
using SelfSup.Engine;
using SelfSup.Vision.Transforms;

namespace SelfSup.Vision.Tests;

/// <summary>The random draws: ranges, rates and the fallback of torchvision's get_params.</summary>
public class TransformDistributionTests
{
    [Fact]
    public void RandomResizedCrop_area_and_log_ratio_stay_in_range_and_cover_it()
    {
        var crop = new RandomResizedCrop(32, MinScale: 0.2f, MaxScale: 1f);
        var rng = new Generator(1);
        double minArea = 1, maxArea = 0, minLog = 9, maxLog = -9;
        const int h = 300, w = 400, n = 20000;
        for (int i = 0; i < n; i++)
        {
            var b = crop.Sample(h, w, rng);
            Assert.InRange(b.Top, 0, h - b.Height);
            Assert.InRange(b.Left, 0, w - b.Width);
            double area = (double)b.Height * b.Width / (h * w), logRatio = Math.Log((double)b.Width / b.Height);
            // Rounding of w and h to whole pixels moves area and ratio a little beyond the continuous range.
            Assert.InRange(area, 0.2 * 0.99, 1.0);
            Assert.InRange(logRatio, Math.Log(3.0 / 4) - 0.01, Math.Log(4.0 / 3) + 0.01);
            (minArea, maxArea) = (Math.Min(minArea, area), Math.Max(maxArea, area));
            (minLog, maxLog) = (Math.Min(minLog, logRatio), Math.Max(maxLog, logRatio));
        }
        Assert.True(minArea < 0.21 && maxArea > 0.95, $"areas {minArea}..{maxArea} do not cover 0.2..1");
        Assert.True(minLog < Math.Log(3.0 / 4) + 0.02 && maxLog > Math.Log(4.0 / 3) - 0.02, $"log ratios {minLog}..{maxLog}");
    }

    [Fact]
    public void RandomResizedCrop_area_is_uniform_in_scale_when_every_try_fits()
    {
        var crop = new RandomResizedCrop(32, MinScale: 0.08f, MaxScale: 0.5f);
        var rng = new Generator(2);
        double sum = 0;
        const int n = 20000, size = 1000;
        for (int i = 0; i < n; i++) { var b = crop.Sample(size, size, rng); sum += (double)b.Height * b.Width / (size * size); }
        Assert.InRange(sum / n, 0.29 - 0.01, 0.29 + 0.01);                   // mean of U(0.08, 0.5)
    }

    [Fact]
    public void RandomResizedCrop_falls_back_to_a_centre_crop_clipped_to_the_ratio_range()
    {
        // A 10×100 strip: no window of area ≥ 90% with aspect ≤ 4/3 fits, so all 10 tries fail.
        var box = new RandomResizedCrop(8, MinScale: 0.9f).Sample(10, 100, new Generator(3));
        Assert.Equal(new CropBox(0, (100 - 13) / 2, 10, 13), box);          // w = round(10·4/3) = 13
        var whole = new RandomResizedCrop(8, MinScale: 1.5f, MaxScale: 2f).Sample(30, 30, new Generator(4));
        Assert.Equal(new CropBox(0, 0, 30, 30), whole);
    }

    [Fact]
    public void ColorJitter_factors_lie_in_torchvision_ranges_and_order_is_a_permutation()
    {
        var jitter = new ColorJitter(0.4f, 0.3f, 0.2f, 0.1f);
        var rng = new Generator(5);
        var firstCounts = new int[4];
        float minB = 9, maxB = 0, minH = 9, maxH = -9;
        for (int i = 0; i < 20000; i++)
        {
            var p = jitter.Sample(rng);
            Assert.Equal([0, 1, 2, 3], new[] { p.First, p.Second, p.Third, p.Fourth }.Select(o => (int)o).Order());
            firstCounts[(int)p.First]++;
            Assert.InRange(p.Brightness!.Value, 0.6f, 1.4f);
            Assert.InRange(p.Contrast!.Value, 0.7f, 1.3f);
            Assert.InRange(p.Saturation!.Value, 0.8f, 1.2f);
            Assert.InRange(p.Hue!.Value, -0.1f, 0.1f);
            (minB, maxB, minH, maxH) = (Math.Min(minB, p.Brightness.Value), Math.Max(maxB, p.Brightness.Value), Math.Min(minH, p.Hue.Value), Math.Max(maxH, p.Hue.Value));
        }
        Assert.True(minB < 0.61f && maxB > 1.39f && minH < -0.099f && maxH > 0.099f);
        Assert.All(firstCounts, c => Assert.InRange(c, 4500, 5500));       // each adjustment first a quarter of the time
    }

    [Fact]
    public void ColorJitter_strength_zero_turns_an_adjustment_off_and_brightness_floor_is_zero()
    {
        var p = new ColorJitter(Brightness: 1.5f).Sample(new Generator(6));
        Assert.Null(p.Contrast); Assert.Null(p.Saturation); Assert.Null(p.Hue);
        var rng = new Generator(7);
        for (int i = 0; i < 1000; i++) Assert.InRange(new ColorJitter(1.5f).Sample(rng).Brightness!.Value, 0f, 2.5f);
    }

    [Theory]
    [InlineData(0.5f)]
    [InlineData(0.2f)]
    public void Flip_grayscale_and_RandomApply_happen_at_their_rate(float p)
    {
        var rng = new Generator(8);
        const int n = 40000;
        int flips = 0, grays = 0, applies = 0;
        for (int i = 0; i < n; i++)
        {
            if (new HorizontalFlip(p).Sample(rng)) flips++;
            if (new RandomGrayscale(p).Sample(rng)) grays++;
            if (new RandomApply(p, new Solarize()).Sample(rng)) applies++;
        }
        double sd = Math.Sqrt(p * (1 - p) / n);
        Assert.InRange(flips / (double)n, p - 5 * sd, p + 5 * sd);
        Assert.InRange(grays / (double)n, p - 5 * sd, p + 5 * sd);
        Assert.InRange(applies / (double)n, p - 5 * sd, p + 5 * sd);
    }

    [Fact]
    public void RandomApply_with_p_one_always_and_blur_sigma_in_range()
    {
        var rng = new Generator(9);
        var blur = new GaussianBlur(3, 0.1f, 2f);
        for (int i = 0; i < 5000; i++)
        {
            Assert.True(new RandomApply(1f, blur).Sample(rng));
            Assert.InRange(blur.Sample(rng), 0.1f, 2f);
        }
    }
}
