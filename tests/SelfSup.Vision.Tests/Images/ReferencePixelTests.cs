using Xunit;

namespace SelfSup.Vision.Tests;

/// <summary>Every fixture decodes to the pixels PIL (libjpeg-turbo for JPEG) gives: JPEG within ±1, PNG exactly.</summary>
public class ReferencePixelTests
{
    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var c in Fixtures.Manifest()) data.Add(c.Image, c.Alpha.ToString());
        return data;
    }

    [Theory, MemberData(nameof(Cases))]
    public void Decoded_pixels_match_the_reference_decoder(string image, string alpha)
    {
        var c = Fixtures.Manifest().Single(m => m.Image == image && m.Alpha.ToString() == alpha);
        var decoded = ImageDecoder.Load(Path.Combine(Fixtures.Directory, image), c.Alpha);
        Assert.Equal((c.Width, c.Height, c.Channels), (decoded.Width, decoded.Height, decoded.Channels));
        var expected = c.Reference == "zeros" ? new byte[decoded.Pixels.Length] : Fixtures.Bytes(c.Reference);
        Assert.Equal(expected.Length, decoded.Pixels.Length);
        int worst = 0, at = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            int diff = Math.Abs(expected[i] - decoded.Pixels[i]);
            if (diff > worst) (worst, at) = (diff, i);
        }
        Assert.True(worst <= c.Tolerance,
            $"{image}: sample {at} (pixel {at / c.Channels}) differs by {worst} (expected {(at >= 0 ? expected[at] : 0)}, " +
            $"got {(at >= 0 ? decoded.Pixels[at] : 0)}); tolerance {c.Tolerance}");
    }

    [Fact]
    public void The_manifest_covers_every_jpeg_and_png_fixture()
    {
        var listed = Fixtures.Manifest().Select(c => c.Image).ToHashSet();
        var files = System.IO.Directory.GetFiles(Fixtures.Directory).Select(Path.GetFileName)
            .Where(f => f!.EndsWith(".jpg") || f.EndsWith(".png"));
        Assert.All(files, f => Assert.Contains(f!, listed));
        Assert.True(listed.Count >= 60, $"only {listed.Count} fixtures");
    }

    [Fact]
    public void Magic_bytes_decide_the_format_not_the_extension()
    {
        var png = Fixtures.Bytes("rgb8_17x13.png");
        var image = ImageDecoder.Decode(png, "actually-a-png.jpg");
        Assert.Equal((17, 13, 3), (image.Width, image.Height, image.Channels));
    }

    [Fact]
    public void Decoding_on_many_threads_at_once_gives_the_same_pixels()
    {
        string[] files = ["rgb420_17x13.jpg", "gray_progressive_23x9.jpg", "orientation7_19x11.jpg", "rgba8_adam7_19x11.png"];
        var bytes = files.Select(Fixtures.Bytes).ToArray();
        var expected = files.Select((f, i) => ImageDecoder.Decode(bytes[i], f).Pixels).ToArray();
        var mismatches = 0;
        Parallel.For(0, 400, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            int k = i % files.Length;
            if (!ImageDecoder.Decode(bytes[k], files[k]).Pixels.AsSpan().SequenceEqual(expected[k]))
                Interlocked.Increment(ref mismatches);
        });
        Assert.Equal(0, mismatches);
    }
}
