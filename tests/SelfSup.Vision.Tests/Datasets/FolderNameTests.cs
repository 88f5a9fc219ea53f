using Xunit;

namespace SelfSup.Vision.Tests.Datasets;

/// <summary>Folder datasets read names as bytes: a class or file name that is not valid UTF-8 is read like any other and
/// shown escaped (the probe found such a class silently dropped and such files "not found").</summary>
public class FolderNameTests
{
    [Fact]
    public void A_class_folder_and_files_whose_names_are_not_utf8_are_read_and_shown_escaped()
    {
        using var dir = new TempDir();
        dir.Png("dog/0.png", 10);
        dir.Png("cafe/a.png", 20);
        dir.Png("cafe/b.png", 30);
        ByteNames.Rename(Path.Combine(dir.Path, "cafe", "b.png"), [0xFF, (byte)'.', (byte)'p', (byte)'n', (byte)'g']);
        ByteNames.Rename(Path.Combine(dir.Path, "cafe"), [(byte)'c', (byte)'a', (byte)'f', 0xE9]);      // Latin-1 "café"

        var data = (FolderDataset)ImageFolder.Open(dir.Path).Train;

        Assert.Equal(["caf\\xe9", "dog"], data.ClassNames);                 // byte order: 'c' < 'd'
        Assert.Equal(3, data.Count);
        Assert.Empty(data.BadFiles);
        Assert.Equal([0, 0, 1], Enumerable.Range(0, 3).Select(data.Label));
        Assert.Equal(Path.Combine(dir.Path, "caf\\xe9", "\\xff.png"), data.Path(1));  // 0xFF sorts after 'a'
        Assert.Equal(30, data.Image(1).Pixels[0]);                            // the renamed file's own pixels
        Assert.Equal(20, data.Image(0).Pixels[0]);
    }

    [Fact]
    public void Control_characters_and_backslashes_in_names_are_escaped_so_messages_stay_one_line()
    {
        Assert.Equal("a\\x0ab\\\\c\\x7f\\xc3", NativePath.Escape("a\nb\\c\u007f"u8.ToArray().Append((byte)0xC3).ToArray()));
        Assert.Equal("café 猫.png", NativePath.Escape("café 猫.png"u8));
    }

    [Fact]
    public void A_link_from_one_class_into_another_or_up_to_the_split_is_not_followed()
    {
        using var dir = new TempDir();
        dir.Png("cat/0.png", 1);
        dir.Png("dog/1.png", 2);
        dir.Png("dog/2.png", 3);
        Directory.CreateSymbolicLink(Path.Combine(dir.Path, "cat", "dogs"), "../dog");   // cat is walked first
        Directory.CreateSymbolicLink(Path.Combine(dir.Path, "dog", "up"), "..");

        var data = (FolderDataset)ImageFolder.Open(dir.Path).Train;

        Assert.Equal(3, data.Count);
        Assert.Equal([0, 1, 1], Enumerable.Range(0, 3).Select(data.Label));     // dog's images are dog's, once each
        Assert.Equal(2, data.BadFiles.Count(b => b.Reason.Contains("a link to a folder already listed")));
    }

    [Fact]
    public void Under_strict_a_folder_passed_over_is_an_error_naming_it()
    {
        using var dir = new TempDir();
        dir.Png("dog/0.png", 1);
        var link = Path.Combine(dir.Path, "dog", "self");
        Directory.CreateSymbolicLink(link, ".");

        var e = Assert.Throws<InvalidDataException>(() => ImageFolder.Open(dir.Path, BadFilePolicy.Fail));

        Assert.Equal($"{link}: a link to a folder already listed (--strict)", e.Message);
        Assert.Single(((FolderDataset)ImageFolder.Open(dir.Path).Train).BadFiles);     // the default skips and reports it
    }
}
