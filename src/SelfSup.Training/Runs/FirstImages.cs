using SelfSup.Vision;

namespace SelfSup.Training;

/// <summary>The first <paramref name="count"/> images of a split (quick runs, a smaller kNN bank).</summary>
sealed class FirstImages(IImageDataset inner, int count) : IImageDataset
{
    public string Name => $"{inner.Name}[:{count}]";
    public int Count => count;
    public RawImage Image(int index) => inner.Image(index);
    public ImageShape Shape(int index) => inner.Shape(index);
    public int Label(int index) => inner.Label(index);
    public IReadOnlyList<string> ClassNames => inner.ClassNames;
}
