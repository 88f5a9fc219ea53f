namespace SelfSup.Vision;

/// <summary>Chosen images of a split, in the order given: a labelled subset for semi-supervised fine-tuning.</summary>
public sealed class ImageSubset : IImageDataset
{
    readonly IImageDataset inner;
    readonly int[] indices;

    public ImageSubset(IImageDataset inner, int[] indices, string what)
    {
        foreach (int i in indices)
            if (i < 0 || i >= inner.Count) throw new ArgumentOutOfRangeException(nameof(indices), $"image {i} is outside {inner.Name}'s {inner.Count}");
        (this.inner, this.indices, Name) = (inner, indices, $"{inner.Name}[{what}]");
    }

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
