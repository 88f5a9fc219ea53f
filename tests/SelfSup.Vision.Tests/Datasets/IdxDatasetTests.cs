using Xunit;

namespace SelfSup.Vision.Tests.Datasets;

public class IdxDatasetTests
{
    /// <summary>n images of h×w where pixel (y, x) of image i is (i·31 + y·w + x) mod 256; label i mod 3.</summary>
    static (byte[] Pixels, byte[] Labels) Synthetic(int n, int h, int w)
    {
        var pixels = new byte[n * h * w];
        for (int i = 0; i < n; i++)
            for (int p = 0; p < h * w; p++) pixels[i * h * w + p] = (byte)(i * 31 + p);
        return (pixels, Enumerable.Range(0, n).Select(i => (byte)(i % 3)).ToArray());
    }

    static void WriteSplit(TempDir dir, string prefix, int n, bool gz, int h = 5, int w = 4)
    {
        var (pixels, labels) = Synthetic(n, h, w);
        string ext = gz ? ".gz" : "";
        IdxFile.Write(Path.Combine(dir.Path, $"{prefix}-images-idx3-ubyte{ext}"), [n, h, w], pixels);
        IdxFile.Write(Path.Combine(dir.Path, $"{prefix}-labels-idx1-ubyte{ext}"), [n], labels);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Mnist_folder_gives_train_and_test_with_pixels_in_place(bool gz)
    {
        using var dir = new TempDir();
        WriteSplit(dir, "train", 7, gz);
        WriteSplit(dir, "t10k", 4, gz);
        var splits = MnistIdx.Open(dir.Path, "tiny");
        Assert.Equal(7, splits.Train.Count);
        Assert.Equal(4, splits.Test!.Count);
        Assert.Equal("tiny/train", splits.Train.Name);
        var image = splits.Train.Image(5);
        Assert.Equal((4, 5, 1), (image.Width, image.Height, image.Channels));
        Assert.Equal((byte)(5 * 31 + 2 * 4 + 3), image[2, 3, 0]);
        Assert.Equal(2, splits.Train.Label(5));
        Assert.Equal(["0", "1", "2"], splits.Train.ClassNames);
    }

    [Fact]
    public void Image_is_a_copy_the_caller_may_change()
    {
        using var dir = new TempDir();
        WriteSplit(dir, "train", 2, gz: false);
        var data = MnistIdx.Open(dir.Path, "tiny").Train;
        data.Image(1).Pixels[0] = 99;
        Assert.Equal((byte)31, data.Image(1).Pixels[0]);
    }

    [Fact]
    public void Missing_labels_give_an_unlabelled_split()
    {
        using var dir = new TempDir();
        IdxFile.Write(Path.Combine(dir.Path, "train-images-idx3-ubyte"), [3, 2, 2], new byte[12]);
        var train = MnistIdx.Open(dir.Path, "x").Train;
        Assert.Equal(-1, train.Label(0));
        Assert.Empty(train.ClassNames);
    }

    public static TheoryData<string, byte[], string> Malformed => new()
    {
        { "bad magic", [0, 1, 8, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 7], "not an IDX file" },
        { "float type", [0, 0, 0x0D, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 7, 7, 7, 7], "0x0D is not supported" },
        { "truncated data", [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3], "truncated IDX file" },
        { "trailing bytes", [0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 2], "1 bytes after" },
        { "short header", [0, 0, 8, 3, 0, 0, 0, 1], "ends inside its dimension sizes" },
        { "zero dimension", [0, 0, 8, 3, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1], "dimension 0 has size 0" },
        { "huge claim", [0, 0, 8, 3, 0x7F, 0, 0, 0, 0x7F, 0, 0, 0, 0, 0, 0, 1], "more than one array holds" },
        { "overflowing claim", [0, 0, 8, 4, .. Enumerable.Repeat(new byte[] { 0x7F, 0xFF, 0xFF, 0xFF }, 4).SelectMany(b => b)], "more than one array holds" },
    };

    [Theory, MemberData(nameof(Malformed))]
    public void Malformed_IDX_is_InvalidDataException_naming_the_file(string what, byte[] bytes, string message)
    {
        using var dir = new TempDir();
        var path = dir.File("train-images-idx3-ubyte", bytes);
        var e = Assert.Throws<InvalidDataException>(() => IdxFile.Read(path));
        Assert.StartsWith(path, e.Message);
        Assert.Contains(message, e.Message);
        _ = what;
    }

    [Fact]
    public void Truncated_gzip_IDX_is_reported_as_truncated()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "train-images-idx3-ubyte.gz");
        IdxFile.Write(path, [10, 4, 4], new byte[100]);     // header says 160 bytes, gzip holds 100
        var e = Assert.Throws<InvalidDataException>(() => IdxFile.Read(path));
        Assert.Contains("truncated IDX file", e.Message);
    }

    [Fact]
    public void Label_count_must_match_image_count()
    {
        using var dir = new TempDir();
        IdxFile.Write(Path.Combine(dir.Path, "train-images-idx3-ubyte"), [3, 2, 2], new byte[12]);
        IdxFile.Write(Path.Combine(dir.Path, "train-labels-idx1-ubyte"), [2], [0, 1]);
        var e = Assert.Throws<InvalidDataException>(() => MnistIdx.Open(dir.Path, "x"));
        Assert.Contains("2 labels for the 3 images", e.Message);
    }

    [Fact]
    public void Labels_beyond_the_named_classes_are_rejected()
    {
        using var dir = new TempDir();
        IdxFile.Write(Path.Combine(dir.Path, "train-images-idx3-ubyte"), [1, 2, 2], new byte[4]);
        IdxFile.Write(Path.Combine(dir.Path, "train-labels-idx1-ubyte"), [1], [10]);
        var e = Assert.Throws<InvalidDataException>(() => MnistIdx.Open(dir.Path, "x", MnistIdx.FashionMnistClasses));
        Assert.Contains("label 10 is outside the 10 classes", e.Message);
    }

    [Fact]
    public void Folder_without_train_images_names_what_is_missing()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<FileNotFoundException>(() => MnistIdx.Open(dir.Path, "x"));
        Assert.Contains("train-images-idx3-ubyte", e.Message);
    }
}
