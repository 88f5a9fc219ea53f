using SelfSup.Vision;

namespace SelfSup.Training;

/// <summary>Images [<paramref name="start"/>, start + <paramref name="count"/>) of a split: its first ones (quick runs, a
/// smaller kNN bank) or one rank's shard of it (features extracted in parallel).</summary>
sealed class ImageRange(IImageDataset inner, int start, int count) : IImageDataset
{
    /// <summary>The first <paramref name="count"/> images.</summary>
    public static ImageRange First(IImageDataset inner, int count) => new(inner, 0, count);

    public string Name => start == 0 ? $"{inner.Name}[:{count}]" : $"{inner.Name}[{start}:{start + count}]";
    public int Count => count;
    public RawImage Image(int index) => inner.Image(start + index);
    public ImageShape Shape(int index) => inner.Shape(start + index);
    public int Label(int index) => inner.Label(start + index);
    public IReadOnlyList<string> ClassNames => inner.ClassNames;
    public string Describe(int index) => inner.Describe(start + index);
}
