namespace SelfSup.Vision;

/// <summary>Chosen images of a split, in the order given: its first ones (quick runs, a smaller kNN bank), one rank's
/// shard of it (features extracted in parallel), a validation split carved from it, or a labelled subset for
/// semi-supervised fine-tuning.</summary>
public sealed class ImageSubset : IImageDataset
{
    readonly IImageDataset inner;
    readonly int[] indices;

    /// <param name="what">Which images, for the name: "inner[what]".</param>
    public ImageSubset(IImageDataset inner, int[] indices, string what)
    {
        foreach (int i in indices)
            if (i < 0 || i >= inner.Count) throw new ArgumentOutOfRangeException(nameof(indices), $"image {i} is outside {inner.Name}'s {inner.Count}");
        (this.inner, this.indices, Name) = (inner, indices, $"{inner.Name}[{what}]");
    }

    /// <summary>Images [start, start + count), named as a Python slice.</summary>
    public static ImageSubset Range(IImageDataset inner, int start, int count)
    {
        if (start < 0 || count < 0 || start + count > inner.Count)
            throw new ArgumentOutOfRangeException(nameof(count), $"images [{start}, {start + count}) are outside {inner.Name}'s {inner.Count}");
        return new(inner, [.. Enumerable.Range(start, count)], start == 0 ? $":{count}" : $"{start}:{start + count}");
    }

    /// <summary>The first <paramref name="count"/> images.</summary>
    public static ImageSubset First(IImageDataset inner, int count) => Range(inner, 0, count);

    public string Name { get; }
    public int Count => indices.Length;
    /// <summary>The inner split's index of each image.</summary>
    public IReadOnlyList<int> Indices => indices;
    public RawImage Image(int index) => inner.Image(indices[index]);
    public ImageShape Shape(int index) => inner.Shape(indices[index]);
    public int Label(int index) => inner.Label(indices[index]);
    public IReadOnlyList<string> ClassNames => inner.ClassNames;
    public string Describe(int index) => inner.Describe(indices[index]);
}
