using SelfSup.Vision.Tests.Datasets;
using Xunit;

namespace SelfSup.Vision.Tests;

/// <summary>Reading an image's size from its header (for the view-size survey) and the pixel limit.</summary>
public class ImageShapeTests
{
    public static TheoryData<string> Images() => [.. Fixtures.Manifest().Select(c => c.Image).Distinct()];

    [Theory, MemberData(nameof(Images))]
    public void The_header_gives_the_size_and_channels_decoding_gives(string file)
    {
        var bytes = Fixtures.Bytes(file);
        Assert.Equal(ImageDecoder.Decode(bytes, file).Shape, ImageDecoder.ReadShape(bytes, file));
    }

    [Fact]
    public void The_size_survey_of_a_folder_reads_headers_not_pixels()
    {
        using var dir = new TempDir();
        var photo = Fixtures.Bytes("flat_black_gray_optimized_1024x1024.jpg");     // 1 MB of pixels, a few kB of file
        for (int i = 0; i < 4; i++) dir.File($"p{i}.jpg", photo);
        var data = ImageFolder.Open(dir.Path).Train;
        ImageSizeSurvey.Of(data);                                                   // warm up (JIT, TurboJPEG load)

        long before = GC.GetAllocatedBytesForCurrentThread();
        var survey = ImageSizeSurvey.Of(data);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal((1024, 1, 4), (survey.Side, survey.Channels, survey.Sampled));
        Assert.True(allocated < 4 * photo.Length + (256 << 10), $"the survey allocated {allocated >> 10} kB for 4 images");
    }

    [Fact]
    public void An_image_over_the_pixel_limit_is_refused_naming_the_option_that_raises_it()
    {
        var png = Fixtures.Bytes("rgb8_17x13.png");
        var e = Assert.Throws<InvalidDataException>(() => ImageDecoder.Decode(png, "big.png", maxPixels: 17 * 13 - 1));
        Assert.Equal("big.png: PNG of 17×13 pixels (221 pixels) is over the limit of 220 pixels (raise it with --max-image-pixels)", e.Message);
        Assert.Equal(17, ImageDecoder.Decode(png, "big.png", maxPixels: 17 * 13).Width);
        var jpeg = Fixtures.Bytes("rgb420_q50_40x24.jpg");
        Assert.Throws<InvalidDataException>(() => ImageDecoder.ReadShape(jpeg, "big.jpg", maxPixels: 40 * 24 - 1));
    }

    [Fact]
    public void A_folder_dataset_applies_its_pixel_limit_as_an_unreadable_file()
    {
        using var dir = new TempDir();
        dir.Png("small.png", 1, w: 4, h: 4);
        dir.Png("wide.png", 2, w: 40, h: 4);
        var data = (FolderDataset)ImageFolder.Open(dir.Path).Train;
        data.MaxPixels = 100;

        Assert.Equal(4, data.Image(1).Width);                                      // wide.png is served small.png instead
        var bad = Assert.Single(data.BadFiles);
        Assert.EndsWith("wide.png", bad.Path);
        Assert.Contains("(160 pixels) is over the limit of 100 pixels", bad.Reason);
    }
}
