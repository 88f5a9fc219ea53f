namespace SelfSup.Vision;

/// <summary>Images [start, start + count) of a split: its first ones (quick runs, a
/// smaller kNN bank), one rank's shard of it (features extracted in parallel), or a validation split carved from it.</summary>
public sealed class ImageRange : IImageDataset
{
    readonly IImageDataset inner;
    readonly int start, count;

    public ImageRange(IImageDataset inner, int start, int count)
    {
        if (start < 0 || count < 0 || start + count > inner.Count)
            throw new ArgumentOutOfRangeException(nameof(count), $"images [{start}, {start + count}) are outside {inner.Name}'s {inner.Count}");
        (this.inner, this.start, this.count) = (inner, start, count);
    }

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
