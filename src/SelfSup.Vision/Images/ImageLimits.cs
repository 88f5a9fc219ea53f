namespace SelfSup.Vision;

/// <summary>
/// Size limits every decoder checks against the header BEFORE allocating pixels, so a hostile
/// header (say 100000×100000) fails fast instead of asking for gigabytes. The pixel limit is the caller's
/// (<c>--max-image-pixels</c>); the side limit is JPEG's own (16-bit sizes), applied to PNG too.
/// </summary>
public static class ImageLimits
{
    /// <summary>Largest width or height accepted.</summary>
    public const int MaxSide = 65_535;
    /// <summary>Largest width·height accepted unless the caller raises it (100 megapixels: 300 MB as RGB).</summary>
    public const long DefaultMaxPixels = 100_000_000;
    /// <summary>Largest file a decoder is handed.</summary>
    public const long MaxFileBytes = 1L << 30;

    /// <summary>Throws <see cref="InvalidDataException"/> naming the file when width × height is out of bounds.</summary>
    public static void Check(string name, string format, long width, long height, long maxPixels = DefaultMaxPixels)
    {
        if (width <= 0 || height <= 0)
            throw new InvalidDataException($"{name}: {format} header gives an empty image ({width}×{height})");
        if (width > MaxSide || height > MaxSide)
            throw new InvalidDataException($"{name}: {format} header claims {width}×{height} pixels, over the limit of {MaxSide} per side");
        if (width * height > maxPixels)
            throw new InvalidDataException(
                $"{name}: {format} of {width}×{height} pixels ({Amount(width * height)}) is over the limit of {Amount(maxPixels)} " +
                "(raise it with --max-image-pixels)");
    }

    static string Amount(long pixels) => pixels >= 1_000_000 ? $"{pixels / 1e6:0.#} megapixels" : $"{pixels} pixels";
}
