namespace SelfSup.Vision;

/// <summary>
/// A split of images with optional labels. Implementations are safe to read from many threads at once
/// (the loader decodes in parallel). Images returned may be shared (a cache hands out the same object):
/// treat them as read-only.
/// </summary>
public interface IImageDataset
{
    /// <summary>What to call it in messages and reports, e.g. "fashion-mnist/train".</summary>
    string Name { get; }
    int Count { get; }
    /// <summary>The decoded image at <paramref name="index"/> (0 ≤ index &lt; Count).</summary>
    RawImage Image(int index);
    /// <summary>The size and channels of image <paramref name="index"/> as stored; a dataset that can read them without
    /// decoding pixels (a folder of photos) does so.</summary>
    ImageShape Shape(int index) => Image(index).Shape;
    /// <summary>The class index of image <paramref name="index"/>, or −1 when the split is unlabelled.</summary>
    int Label(int index);
    /// <summary>Class names by index; empty when unlabelled.</summary>
    IReadOnlyList<string> ClassNames { get; }
    /// <summary>Where image <paramref name="index"/> comes from, for error messages (a file path, or "name[index]").</summary>
    string Describe(int index) => $"{Name}[{index}]";
}

/// <summary>The splits a data SPEC resolves to: a training split and, where the data has one, a test split.</summary>
public sealed record DataSplits(IImageDataset Train, IImageDataset? Test);
