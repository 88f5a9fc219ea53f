using SelfSup.Engine;

namespace SelfSup.Vision.Tests.Loading;

/// <summary>A random Size×Size crop, flipped left–right with probability ½, scaled to [0, 1] — enough augmentation
/// to show whether a view came from the right image and the right random stream.</summary>
sealed class CropFlip(int size) : IViewTransform
{
    public int Channels => 1;
    public int Height => size;
    public int Width => size;

    public void Apply(RawImage image, Generator rng, Span<float> destination)
    {
        int oy = rng.NextInt(image.Height - size + 1), ox = rng.NextInt(image.Width - size + 1);
        bool flip = rng.NextFloat() < 0.5f;
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
                destination[y * size + x] = image[oy + y, ox + (flip ? size - 1 - x : x), 0] / 255f;
    }
}

/// <summary>Throws from Apply for images whose first pixel is <paramref name="poison"/>.</summary>
sealed class ThrowingTransform(byte poison) : IViewTransform
{
    public int Channels => 1;
    public int Height => 2;
    public int Width => 2;

    public void Apply(RawImage image, Generator rng, Span<float> destination)
    {
        if (image.Pixels[0] == poison) throw new IndexOutOfRangeException("boom");
        destination.Fill(1);
    }
}

/// <summary>Wraps a dataset: counts reads, and fails to "decode" one index the way a corrupt file does.</summary>
sealed class ProbeDataset(IImageDataset inner, int failAt = -1) : IImageDataset
{
    int reads;
    public int Reads => Volatile.Read(ref reads);
    public string Name => inner.Name;
    public int Count => inner.Count;
    public IReadOnlyList<string> ClassNames => inner.ClassNames;
    public int Label(int index) => inner.Label(index);

    public RawImage Image(int index)
    {
        Interlocked.Increment(ref reads);
        if (index == failAt) throw new InvalidDataException($"/data/img{index}.png: corrupt PNG (bad CRC)");
        return inner.Image(index);
    }
}

static class LoaderFixtures
{
    /// <summary>n 6×6 grey images; pixel (y, x) of image i is i + 7y + 3x; label i mod 5.</summary>
    public static InMemoryDataset Gradients(int n = 37)
    {
        var pixels = new byte[n * 36];
        for (int i = 0; i < n; i++)
            for (int y = 0; y < 6; y++)
                for (int x = 0; x < 6; x++) pixels[i * 36 + y * 6 + x] = (byte)(i + 7 * y + 3 * x);
        return new InMemoryDataset("gradients", n, 6, 6, 1, pixels,
            Enumerable.Range(0, n).Select(i => i % 5).ToArray(), ["a", "b", "c", "d", "e"]);
    }
}
