using SelfSup.Testing;
using Xunit;
using Xunit.Abstractions;

namespace SelfSup.Vision.Tests;

/// <summary>Mutation fuzzing of the IDX (MNIST) and CIFAR-10 binary readers (see <see cref="Fuzz"/>): each mutant file is
/// written into a data folder and opened as the training split; the fingerprint is every image's pixels and label.</summary>
public sealed class DatasetFileFuzzTests(ITestOutputHelper output) : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("selfsup-datafuzz-").FullName;
    public void Dispose() => Directory.Delete(root, recursive: true);

    static readonly Fuzz.Limits Limits = new("idx", [typeof(InvalidDataException), typeof(FileNotFoundException)],
        BytesPerInputByte: 64, FixedBytes: 16 << 20, Timeout: TimeSpan.FromSeconds(10));

    static string Fingerprint(IImageDataset data)
    {
        using var sha = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        for (int i = 0; i < data.Count; i++)
        {
            var image = data.Image(i);
            sha.AppendData(BitConverter.GetBytes(image.Width * 1_000_003 + image.Height * 31 + image.Channels + data.Label(i)));
            sha.AppendData(image.Pixels);
        }
        return $"{data.Count} {Convert.ToHexString(sha.GetHashAndReset())[..16]}";
    }

    string Folder(string kind)
    {
        var dir = Path.Combine(root, $"{kind}-{Environment.CurrentManagedThreadId}");
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        Directory.CreateDirectory(dir);
        return dir;
    }

    [Fact, Trait("Category", "Fuzz")]
    public void Idx_images_survive_mutations()
    {
        var seedDir = Folder("seed");
        IdxFile.Write(Path.Combine(seedDir, "train-images-idx3-ubyte"), [6, 5, 4], [.. Enumerable.Range(0, 120).Select(i => (byte)(i * 7))]);
        IdxFile.Write(Path.Combine(seedDir, "train-labels-idx1-ubyte"), [6], [0, 1, 2, 0, 1, 2]);
        var labels = File.ReadAllBytes(Path.Combine(seedDir, "train-labels-idx1-ubyte"));
        Fuzz.Run(Limits, [File.ReadAllBytes(Path.Combine(seedDir, "train-images-idx3-ubyte")), labels], bytes =>
        {
            var dir = Folder("idx");
            bool isLabels = bytes.Length > 3 && bytes.Length < 40;          // mutate images or labels, the other stays good
            File.WriteAllBytes(Path.Combine(dir, "train-images-idx3-ubyte"), isLabels ? File.ReadAllBytes(Path.Combine(seedDir, "train-images-idx3-ubyte")) : bytes);
            File.WriteAllBytes(Path.Combine(dir, "train-labels-idx1-ubyte"), isLabels ? bytes : labels);
            return Fingerprint(MnistIdx.Open(dir, "fuzz").Train);
        }, Fuzz.Cases(300), seed: 7, output);
    }

    [Fact, Trait("Category", "Fuzz")]
    public void Cifar_batches_survive_mutations()
    {
        var record = new byte[3 * (1 + 3072)];                             // three records: label byte, then 32×32×3 planes
        for (int i = 0; i < record.Length; i++) record[i] = (byte)(i * 13);
        for (int r = 0; r < 3; r++) record[r * 3073] = (byte)r;
        Fuzz.Run(Limits with { Reader = "cifar" }, [record], bytes =>
        {
            var dir = Folder("cifar");
            File.WriteAllBytes(Path.Combine(dir, "data_batch_1.bin"), bytes);
            return Fingerprint(Cifar10Binary.Open(dir).Train);
        }, Fuzz.Cases(200), seed: 8, output);
    }
}
