namespace SelfSup.Vision;

/// <summary>
/// Images of one size held packed in one array (N, H, W, C) — how IDX and CIFAR data are kept after opening
/// (Fashion-MNIST's 60000 training images are 47 MB). <see cref="Image"/> returns a fresh copy, so callers may not
/// disturb the store.
/// </summary>
public sealed class InMemoryDataset : IImageDataset
{
    readonly byte[] pixels;
    readonly int[]? labels;
    readonly int imageBytes;

    public string Name { get; }
    public int Count { get; }
    public int Width { get; }
    public int Height { get; }
    public int Channels { get; }
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Wraps <c>pixels</c> (not copied): Count·Height·Width·Channels samples, image after image, each (H, W, C);
    /// <c>labels</c> holds one class index per image (each below classNames.Count), or is null when unlabelled.</summary>
    public InMemoryDataset(string name, int count, int width, int height, int channels, byte[] pixels,
        int[]? labels, IReadOnlyList<string> classNames)
    {
        if (count <= 0) throw new ArgumentException($"{name}: a dataset needs at least one image");
        if (channels is not (1 or 3)) throw new ArgumentException($"{name}: images have 1 or 3 channels, not {channels}");
        imageBytes = width * height * channels;
        if (pixels.Length != (long)count * imageBytes)
            throw new ArgumentException($"{name}: {pixels.Length} bytes do not hold {count} images of {width}×{height}×{channels}");
        if (labels is not null)
        {
            if (labels.Length != count) throw new ArgumentException($"{name}: {labels.Length} labels for {count} images");
            for (int i = 0; i < count; i++)
                if ((uint)labels[i] >= (uint)classNames.Count)
                    throw new InvalidDataException($"{name}: image {i} has label {labels[i]}, outside the {classNames.Count} classes");
        }
        Name = name; Count = count; Width = width; Height = height; Channels = channels;
        this.pixels = pixels; this.labels = labels;
        ClassNames = labels is null ? [] : classNames;
    }

    public RawImage Image(int index)
    {
        if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index), $"{Name} has {Count} images");
        return new RawImage(Width, Height, Channels, pixels.AsSpan(index * imageBytes, imageBytes).ToArray());
    }

    public int Label(int index) => labels is null ? -1 : labels[index];
}
