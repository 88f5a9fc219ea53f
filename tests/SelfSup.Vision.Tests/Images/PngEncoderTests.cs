using Xunit;

namespace SelfSup.Vision.Tests;

public class PngEncoderTests
{
    static RawImage Noise(int width, int height, int channels, int seed)
    {
        var rng = new Random(seed);
        var pixels = new byte[width * height * channels];
        for (int i = 0; i < pixels.Length; i++)                // smooth ramp plus noise: every filter type wins somewhere
            pixels[i] = (byte)(i * 7 / channels + rng.Next(seed % 3 == 0 ? 256 : 9));
        return new RawImage(width, height, channels, pixels);
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(1, 1, 3)]
    [InlineData(17, 13, 3)]
    [InlineData(64, 3, 1)]
    [InlineData(5, 40, 3)]
    public void Encode_then_decode_gives_back_the_same_pixels(int width, int height, int channels)
    {
        for (int seed = 1; seed <= 3; seed++)
        {
            var image = Noise(width, height, channels, seed);
            var decoded = ImageDecoder.Decode(PngEncoder.Encode(image), "roundtrip.png");
            Assert.Equal((width, height, channels), (decoded.Width, decoded.Height, decoded.Channels));
            Assert.Equal(image.Pixels, decoded.Pixels);
        }
    }

    [Fact]
    public void Encoded_header_says_8_bit_grey_or_rgb()
    {
        var gray = PngEncoder.Encode(Noise(3, 2, 1, 1));
        var rgb = PngEncoder.Encode(Noise(3, 2, 3, 1));
        Assert.Equal((8, 0), (gray[24], gray[25]));            // IHDR bit depth, colour type
        Assert.Equal((8, 2), (rgb[24], rgb[25]));
    }

    [Fact]
    public void A_flat_image_compresses_to_almost_nothing()
    {
        var flat = new RawImage(200, 200, 3, Enumerable.Repeat((byte)90, 200 * 200 * 3).ToArray());
        Assert.True(PngEncoder.Encode(flat).Length < 1000);
    }

    [Fact]
    public void Save_replaces_the_file_and_leaves_no_temporary_behind()
    {
        var dir = Directory.CreateTempSubdirectory("selfsup-png-").FullName;
        try
        {
            var path = Path.Combine(dir, "grid.png");
            File.WriteAllText(path, "old contents");
            var image = Noise(9, 4, 3, 2);
            PngEncoder.Save(path, image);
            Assert.Equal(image.Pixels, ImageDecoder.Load(path).Pixels);
            Assert.Equal(["grid.png"], Directory.GetFiles(dir).Select(Path.GetFileName));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
