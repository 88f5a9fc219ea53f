using Xunit;

namespace SelfSup.Vision.Tests.Datasets;

public class Cifar10DatasetTests
{
    /// <summary>A record whose red plane is all r, green all g, blue all b, except pixel (y=1, x=2) which is (1, 2, 3).</summary>
    static byte[] Record(byte label, byte r, byte g, byte b)
    {
        var rec = new byte[3073];
        rec[0] = label;
        Array.Fill(rec, r, 1, 1024);
        Array.Fill(rec, g, 1025, 1024);
        Array.Fill(rec, b, 2049, 1024);
        int p = 1 * 32 + 2;
        (rec[1 + p], rec[1025 + p], rec[2049 + p]) = ((byte)1, (byte)2, (byte)3);
        return rec;
    }

    static byte[] Records(params byte[][] records) => records.SelectMany(r => r).ToArray();

    [Fact]
    public void Binary_batches_become_interleaved_RGB_with_labels_and_meta_names()
    {
        using var dir = new TempDir();
        dir.File("data_batch_1.bin", Records(Record(3, 10, 20, 30), Record(1, 40, 50, 60)));
        dir.File("data_batch_2.bin", Records(Record(2, 70, 80, 90)));
        dir.File("test_batch.bin", Records(Record(0, 0, 0, 0)));
        dir.File("batches.meta.txt", "a\nb\nc\nd\n\n"u8.ToArray());
        var splits = Cifar10Binary.Open(dir.Path);
        Assert.Equal(3, splits.Train.Count);
        Assert.Equal(1, splits.Test!.Count);
        Assert.Equal(["a", "b", "c", "d"], splits.Train.ClassNames);
        Assert.Equal([3, 1, 2], Enumerable.Range(0, 3).Select(splits.Train.Label));
        var image = splits.Train.Image(2);              // the record of data_batch_2 follows those of data_batch_1
        Assert.Equal((32, 32, 3), (image.Width, image.Height, image.Channels));
        Assert.Equal((70, 80, 90), (image[0, 0, 0], image[0, 0, 1], image[0, 0, 2]));
        Assert.Equal((1, 2, 3), (image[1, 2, 0], image[1, 2, 1], image[1, 2, 2]));
    }

    [Fact]
    public void Without_meta_file_the_CIFAR10_names_are_used_and_nested_folder_is_found()
    {
        using var dir = new TempDir();
        dir.File("cifar-10-batches-bin/data_batch_1.bin", Record(9, 1, 1, 1));
        var train = DataSpec.Parse("cifar10:" + dir.Path).Train;
        Assert.Equal("truck", train.ClassNames[train.Label(0)]);
    }

    [Fact]
    public void Record_size_must_be_3073_bytes()
    {
        using var dir = new TempDir();
        var path = dir.File("data_batch_1.bin", new byte[3072 * 2]);
        var e = Assert.Throws<InvalidDataException>(() => Cifar10Binary.Open(dir.Path));
        Assert.StartsWith(path, e.Message);
        Assert.Contains("not a whole number of 3073-byte", e.Message);
    }

    [Fact]
    public void Label_beyond_the_classes_is_rejected_with_its_record()
    {
        using var dir = new TempDir();
        dir.File("data_batch_1.bin", Records(Record(0, 0, 0, 0), Record(10, 0, 0, 0)));
        var e = Assert.Throws<InvalidDataException>(() => Cifar10Binary.Open(dir.Path));
        Assert.Contains("record 1 has label 10", e.Message);
    }

    [Fact]
    public void Folder_without_batches_is_FileNotFound()
    {
        using var dir = new TempDir();
        Assert.Throws<FileNotFoundException>(() => Cifar10Binary.Open(dir.Path));
    }
}
