using SelfSup.Engine;
using SelfSup.Vision;

namespace SelfSup.Training.Tests;

/// <summary>A small MNIST-format data set written to a folder: 16×16 images of two classes (vertical or horizontal
/// stripes with noise), for end-to-end training runs that take seconds.</summary>
static class TinyData
{
    /// <summary>Writes <paramref name="train"/> training and <paramref name="test"/> test images under
    /// <paramref name="folder"/>; returns the data spec ("mnist-idx:DIR").</summary>
    public static string Write(string folder, int train = 128, int test = 32)
    {
        Directory.CreateDirectory(folder);
        var rng = new Generator(5);
        foreach (var (prefix, n) in new[] { ("train", train), ("t10k", test) })
        {
            var pixels = new byte[n * 16 * 16]; var labels = new byte[n];
            for (int i = 0; i < n; i++)
            {
                labels[i] = (byte)(i % 2);
                for (int y = 0; y < 16; y++)
                    for (int x = 0; x < 16; x++)
                        pixels[i * 256 + y * 16 + x] = (byte)(((labels[i] == 0 ? x : y) % 4 < 2 ? 200 : 30) + rng.NextInt(40));
            }
            IdxFile.Write(Path.Combine(folder, $"{prefix}-images-idx3-ubyte"), [n, 16, 16], pixels);
            IdxFile.Write(Path.Combine(folder, $"{prefix}-labels-idx1-ubyte"), [n], labels);
        }
        return "mnist-idx:" + folder;
    }
}
