namespace SelfSup.Vision;

/// <summary>
/// A folder of MNIST-format IDX files: <c>train-images-idx3-ubyte</c>, <c>train-labels-idx1-ubyte</c> and the
/// <c>t10k-</c> pair for the test split, each raw or <c>.gz</c> (a dot before <c>idx</c> is accepted too, as some
/// mirrors name them). Labels are optional; the test split is used when its images are present.
/// </summary>
public static class MnistIdx
{
    /// <summary>Where Debian's <c>dataset-fashion-mnist</c> package installs the files.</summary>
    public const string FashionMnistDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>Fashion-MNIST's classes (Xiao et al. 2017), by label.</summary>
    public static readonly IReadOnlyList<string> FashionMnistClasses =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>Debian's Fashion-MNIST, with its class names.</summary>
    public static DataSplits FashionMnist(string directory = FashionMnistDirectory)
    {
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"Fashion-MNIST not found at {directory} (apt-get install dataset-fashion-mnist)");
        return Open(directory, "fashion-mnist", FashionMnistClasses);
    }

    /// <summary>The splits in <paramref name="directory"/>; classes are named by <paramref name="classNames"/>, or
    /// "0", "1", ... up to the largest label when null.</summary>
    public static DataSplits Open(string directory, string name, IReadOnlyList<string>? classNames = null)
    {
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"IDX folder not found: {directory}");
        var trainImages = Find(directory, "train", "images", 3)
            ?? throw new FileNotFoundException($"no train-images-idx3-ubyte[.gz] in {directory}");
        var train = Split($"{name}/train", trainImages, Find(directory, "train", "labels", 1), classNames);
        var testImages = Find(directory, "t10k", "images", 3);
        var test = testImages is null ? null : Split($"{name}/test", testImages, Find(directory, "t10k", "labels", 1), classNames);
        return new DataSplits(train, test);
    }

    static string? Find(string directory, string split, string kind, int rank)
    {
        foreach (var sep in new[] { "-", "." })
            foreach (var ext in new[] { "", ".gz" })
            {
                var path = Path.Combine(directory, $"{split}-{kind}{sep}idx{rank}-ubyte{ext}");
                if (File.Exists(path)) return path;
            }
        return null;
    }

    static InMemoryDataset Split(string name, string imagesPath, string? labelsPath, IReadOnlyList<string>? classNames)
    {
        var (dims, pixels) = IdxFile.Read(imagesPath);
        if (dims.Length != 3)
            throw new InvalidDataException($"{imagesPath}: image IDX files are (N, H, W); this one has {dims.Length} dimensions");
        int count = dims[0];
        int[]? labels = null;
        if (labelsPath is not null)
        {
            var (labelDims, labelBytes) = IdxFile.Read(labelsPath);
            if (labelDims.Length != 1)
                throw new InvalidDataException($"{labelsPath}: label IDX files are (N); this one has {labelDims.Length} dimensions");
            if (labelDims[0] != count)
                throw new InvalidDataException($"{labelsPath}: {labelDims[0]} labels for the {count} images of {imagesPath}");
            labels = Array.ConvertAll(labelBytes, b => (int)b);
            int largest = labels.Max();
            if (classNames is not null && largest >= classNames.Count)
                throw new InvalidDataException($"{labelsPath}: label {largest} is outside the {classNames.Count} classes");
            classNames ??= Enumerable.Range(0, largest + 1).Select(i => i.ToString()).ToArray();
        }
        return new InMemoryDataset(name, count, dims[2], dims[1], 1, pixels, labels, classNames ?? []);
    }
}
