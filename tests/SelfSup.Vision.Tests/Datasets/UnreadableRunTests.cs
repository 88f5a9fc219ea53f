using Xunit;

namespace SelfSup.Vision.Tests.Datasets;

/// <summary>Any number of unreadable files in a row is skipped while a readable image is left (it used to give up after 64).</summary>
public class UnreadableRunTests
{
    static byte[] CutPng => [.. PngEncoder.Encode(new RawImage(4, 4, 1, new byte[16])).Take(30)];   // PNG magic, cut short

    [Fact]
    public void A_long_run_of_unreadable_files_is_skipped_for_the_next_readable_one()
    {
        using var dir = new TempDir();
        for (int i = 0; i < 100; i++) dir.File($"a/{i:D3}.png", CutPng);
        dir.Png("a/100.png", 77);
        var data = (FolderDataset)ImageFolder.Open(dir.Path).Train;
        Assert.Equal(101, data.Count);
        Assert.Equal(77, data.Image(0).Pixels[0]);
        Assert.Equal(77, data.Image(50).Pixels[0]);
        Assert.Equal(100, data.BadFiles.Count);
    }

    [Fact]
    public void A_split_with_no_readable_file_left_is_an_error_naming_its_folder()
    {
        using var dir = new TempDir();
        for (int i = 0; i < 3; i++) dir.File($"a/{i}.png", CutPng);
        var data = (FolderDataset)ImageFolder.Open(dir.Path).Train;
        var e = Assert.Throws<InvalidDataException>(() => data.Image(1));
        Assert.Equal($"{data.Root}: no usable image left: all 3 files are unreadable (see the warnings above)", e.Message);
    }
}
