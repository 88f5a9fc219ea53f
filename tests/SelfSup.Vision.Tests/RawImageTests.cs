using Xunit;

namespace SelfSup.Vision.Tests;

public class RawImageTests
{
    [Fact]
    public void Indexer_reads_interleaved_samples()
    {
        var image = new RawImage(2, 1, 3, [1, 2, 3, 4, 5, 6]);
        Assert.Equal(5, image[0, 1, 1]);
    }

    [Fact]
    public void Pixel_count_must_fill_the_image() =>
        Assert.Throws<ArgumentException>(() => new RawImage(2, 2, 3, new byte[11]));
}
