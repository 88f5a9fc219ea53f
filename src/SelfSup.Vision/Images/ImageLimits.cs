namespace SelfSup.Vision;

/// <summary>
/// Size limits every decoder checks against the header BEFORE allocating pixels, so a hostile
/// header (say 100000×100000) fails fast instead of asking for gigabytes.
/// </summary>
public static class ImageLimits
{
    /// <summary>Largest width or height accepted.</summary>
    public const int MaxSide = 30_000;
    /// <summary>Largest width·height accepted (100 megapixels: 300 MB as RGB).</summary>
    public const long MaxPixels = 100_000_000;
    /// <summary>Largest file <see cref="ImageDecoder.Load"/> reads.</summary>
    public const long MaxFileBytes = 1L << 30;

    /// <summary>Throws <see cref="InvalidDataException"/> naming the file when width × height is out of bounds.</summary>
    public static void Check(string name, string format, long width, long height)
    {
        if (width <= 0 || height <= 0)
            throw new InvalidDataException($"{name}: {format} header gives an empty image ({width}×{height})");
        if (width > MaxSide || height > MaxSide || width * height > MaxPixels)
            throw new InvalidDataException(
                $"{name}: {format} header claims {width}×{height} pixels, over the limit " +
                $"({MaxSide} per side, {MaxPixels / 1_000_000} megapixels)");
    }
}
