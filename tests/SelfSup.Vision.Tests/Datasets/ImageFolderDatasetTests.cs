using Xunit;

namespace SelfSup.Vision.Tests.Datasets;

public class ImageFolderDatasetTests
{
    [Fact]
    public void Class_folders_give_sorted_classes_and_labels_with_hidden_and_foreign_files_skipped()
    {
        using var dir = new TempDir();
        dir.Png("dog/a.png", 1);
        dir.Png("dog/nested/b.PNG", 2);
        dir.Png("cat/c.Png", 3);
        dir.Png("cat/.hidden.png", 4);
        dir.Png(".thumbs/d.png", 5);
        dir.File("cat/notes.txt", "hello"u8.ToArray());
        var data = (FolderDataset)ImageFolder.Open(dir.Path).Train;
        Assert.Equal(["cat", "dog"], data.ClassNames);
        Assert.Equal(3, data.Count);
        var byValue = Enumerable.Range(0, 3).ToDictionary(i => data.Image(i).Pixels[0], data.Label);
        Assert.Equal(new Dictionary<byte, int> { [3] = 0, [1] = 1, [2] = 1 }, byValue);
        Assert.Empty(data.BadFiles);
    }

    [Fact]
    public void Flat_folder_is_unlabelled()
    {
        using var dir = new TempDir();
        dir.Png("x.jpg.png", 1);
        dir.Png("y.png", 2);
        var data = ImageFolder.Open(dir.Path).Train;
        Assert.Equal(2, data.Count);
        Assert.Equal(-1, data.Label(0));
        Assert.Empty(data.ClassNames);
    }

    [Fact]
    public void Train_and_val_folders_are_splits_sharing_the_union_of_classes()
    {
        using var dir = new TempDir();
        dir.Png("train/b/1.png", 1);
        dir.Png("train/c/2.png", 2);
        dir.Png("val/a/3.png", 3);
        dir.Png("val/c/4.png", 4);
        var splits = ImageFolder.Open(dir.Path);
        Assert.Equal(["a", "b", "c"], splits.Train.ClassNames);
        Assert.Equal(["a", "b", "c"], splits.Test!.ClassNames);
        Assert.Equal([1, 2], new[] { 0, 1 }.Select(splits.Train.Label));
        Assert.Equal([0, 2], new[] { 0, 1 }.Select(splits.Test.Label));
        Assert.EndsWith("/val", splits.Test.Name);
    }

    [Fact]
    public void Unreadable_files_are_skipped_and_listed_by_default()
    {
        using var dir = new TempDir();
        dir.Png("a/good.png", 7);
        var empty = dir.File("a/empty.png", []);
        var text = dir.File("a/text.jpg", "not an image"u8.ToArray());
        var loose = dir.Png("loose.png", 1);
        var data = (FolderDataset)ImageFolder.Open(dir.Path).Train;
        Assert.Equal(1, data.Count);
        Assert.Equal([empty, text, loose], data.BadFiles.Select(b => b.Path).Order(StringComparer.Ordinal));
        Assert.Contains("empty file", data.BadFiles.Single(b => b.Path == empty).Reason);
    }

    [Fact]
    public void Strict_policy_fails_on_the_first_unreadable_file_naming_it()
    {
        using var dir = new TempDir();
        dir.Png("a/good.png", 7);
        var text = dir.File("a/text.jpg", "not an image"u8.ToArray());
        var e = Assert.Throws<InvalidDataException>(() => DataSpec.Parse("folder:" + dir.Path, BadFilePolicy.Fail));
        Assert.StartsWith(text, e.Message);
    }

    [Fact]
    public void File_that_fails_only_at_decode_is_replaced_by_the_next_image_and_reported()
    {
        using var dir = new TempDir();
        dir.Png("a/0.png", 10);
        var corrupt = dir.File("a/1.png", [.. PngEncoder.Encode(new RawImage(4, 4, 1, new byte[16])).Take(30)]);   // PNG magic, cut short
        dir.Png("a/2.png", 30);
        var data = (FolderDataset)ImageFolder.Open(dir.Path).Train;
        Assert.Equal(3, data.Count);                        // the magic bytes pass the check at open
        Assert.Equal(30, data.Image(1).Pixels[0]);          // slot 1 serves image 2
        Assert.Equal(30, data.Image(1).Pixels[0]);          // ... every time
        Assert.Equal(corrupt, Assert.Single(data.BadFiles).Path);

        var strict = (FolderDataset)ImageFolder.Open(dir.Path, BadFilePolicy.Fail).Train;
        var e = Assert.Throws<InvalidDataException>(() => strict.Image(1));
        Assert.StartsWith(corrupt, e.Message);
    }

    [Fact]
    public void Folder_with_no_images_is_an_error_naming_it()
    {
        using var dir = new TempDir();
        dir.File("readme.txt", "x"u8.ToArray());
        var e = Assert.Throws<InvalidDataException>(() => ImageFolder.Open(dir.Path));
        Assert.Contains(dir.Path, e.Message);
    }
}
