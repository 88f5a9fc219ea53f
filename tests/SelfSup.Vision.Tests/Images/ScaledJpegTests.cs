using Xunit;

namespace SelfSup.Vision.Tests;

/// <summary>Reduced-scale JPEG decoding (libjpeg's n/8 DCT scaling) for views much smaller than the photo.</summary>
public class ScaledJpegTests
{
    [Theory]
    [InlineData(0, 40, 24)]      // full size
    [InlineData(6, 10, 6)]       // 2/8: the smallest scale with a shorter side ≥ 6
    [InlineData(7, 15, 9)]       // 3/8
    [InlineData(24, 40, 24)]     // nothing smaller fits
    public void The_smallest_scale_that_keeps_the_needed_side_is_decoded(int minSide, int width, int height)
    {
        var image = ImageDecoder.Decode(Fixtures.Bytes("rgb420_q50_40x24.jpg"), "photo.jpg", minSide: minSide);
        Assert.Equal((width, height, 3), (image.Width, image.Height, image.Channels));
    }

    [Fact]
    public void A_half_scale_decode_matches_the_full_decode_averaged_over_2x2_blocks()
    {
        var full = ImageDecoder.Decode(Fixtures.Bytes("rgb420_q50_40x24.jpg"), "photo.jpg");
        var half = ImageDecoder.Decode(Fixtures.Bytes("rgb420_q50_40x24.jpg"), "photo.jpg", minSide: 12);
        Assert.Equal((20, 12), (half.Width, half.Height));
        double error = 0;
        for (int y = 0; y < 12; y++)
            for (int x = 0; x < 20; x++)
                for (int c = 0; c < 3; c++)
                {
                    double mean = 0;
                    for (int dy = 0; dy < 2; dy++)
                        for (int dx = 0; dx < 2; dx++) mean += full.Pixels[((2 * y + dy) * 40 + 2 * x + dx) * 3 + c] / 4.0;
                    error += Math.Abs(mean - half.Pixels[(y * 20 + x) * 3 + c]);
                }
        Assert.True(error / (20 * 12 * 3) < 6, $"mean absolute difference {error / 720:F1} levels");
    }
}
