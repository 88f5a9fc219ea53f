namespace SelfSup.Vision;

/// <summary>
/// CIFAR-10's binary version (Krizhevsky 2009): <c>data_batch_1.bin</c> … <c>data_batch_5.bin</c> and
/// <c>test_batch.bin</c>, each a run of 3073-byte records — a label byte, then the 32×32 red plane, green plane
/// and blue plane — with class names in <c>batches.meta.txt</c> (one a line) when present. The folder may
/// also be the one holding <c>cifar-10-batches-bin/</c>. Images are converted to (H, W, C) at open.
/// </summary>
public static class Cifar10Binary
{
    const int Side = 32, PlaneBytes = Side * Side, RecordBytes = 1 + 3 * PlaneBytes;

    /// <summary>The names CIFAR-10's own meta file gives, used when <c>batches.meta.txt</c> is absent.</summary>
    public static readonly IReadOnlyList<string> DefaultClasses =
        ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

    public static DataSplits Open(string directory, string name = "cifar10")
    {
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"CIFAR-10 folder not found: {directory}");
        var nested = Path.Combine(directory, "cifar-10-batches-bin");
        if (!File.Exists(Path.Combine(directory, "data_batch_1.bin")) && Directory.Exists(nested)) directory = nested;

        var trainFiles = Enumerable.Range(1, 5).Select(i => Path.Combine(directory, $"data_batch_{i}.bin")).Where(File.Exists).ToArray();
        if (trainFiles.Length == 0) throw new FileNotFoundException($"no data_batch_N.bin files in {directory} (CIFAR-10 binary version)");
        var classes = ClassNames(directory);
        var train = Read($"{name}/train", trainFiles, classes);
        var testFile = Path.Combine(directory, "test_batch.bin");
        var test = File.Exists(testFile) ? Read($"{name}/test", [testFile], classes) : null;
        return new DataSplits(train, test);
    }

    static IReadOnlyList<string> ClassNames(string directory)
    {
        var meta = Path.Combine(directory, "batches.meta.txt");
        if (!File.Exists(meta)) return DefaultClasses;
        var names = File.ReadAllLines(meta).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        return names.Length > 0 ? names : throw new InvalidDataException($"{meta}: no class names");
    }

    static InMemoryDataset Read(string name, string[] files, IReadOnlyList<string> classes)
    {
        long total = 0;
        foreach (var f in files)
        {
            long length = new FileInfo(f).Length;
            if (length == 0 || length % RecordBytes != 0)
                throw new InvalidDataException(
                    $"{f}: {length} bytes is not a whole number of {RecordBytes}-byte CIFAR-10 records (label + 32×32×3)");
            total += length / RecordBytes;
        }
        if (total * 3 * PlaneBytes > Array.MaxLength) throw new InvalidDataException($"{name}: {total} images are more than one array holds");
        int count = (int)total;
        var pixels = new byte[(long)count * 3 * PlaneBytes];
        var labels = new int[count];
        var record = new byte[RecordBytes];
        int n = 0;
        foreach (var f in files)
        {
            using var stream = File.OpenRead(f);
            for (int r = 0; stream.Position < stream.Length; r++, n++)
            {
                stream.ReadExactly(record);
                if (record[0] >= classes.Count)
                    throw new InvalidDataException($"{f}: record {r} has label {record[0]}, outside the {classes.Count} classes");
                labels[n] = record[0];
                var image = pixels.AsSpan(n * 3 * PlaneBytes, 3 * PlaneBytes);
                for (int p = 0; p < PlaneBytes; p++)            // planar RRR…GGG…BBB → interleaved RGB
                {
                    image[3 * p] = record[1 + p];
                    image[3 * p + 1] = record[1 + PlaneBytes + p];
                    image[3 * p + 2] = record[1 + 2 * PlaneBytes + p];
                }
            }
        }
        return new InMemoryDataset(name, count, Side, Side, 3, pixels, labels, classes);
    }
}
