using System.Buffers.Binary;

namespace SelfSup.Vision;

/// <summary>A validated PNG IHDR (PNG spec §11.2.2) and the sizes it implies.</summary>
internal sealed record PngHeader(int Width, int Height, int BitDepth, int ColourType, bool Interlaced)
{
    public const int Gray = 0, Rgb = 2, Palette = 3, GrayAlpha = 4, Rgba = 6;

    /// <summary>Adam7 passes as (x0, y0, dx, dy); a plain image is one pass (0, 0, 1, 1).</summary>
    public static readonly (int X0, int Y0, int Dx, int Dy)[] Adam7 =
        [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)];
    static readonly (int, int, int, int)[] Single = [(0, 0, 1, 1)];

    public (int X0, int Y0, int Dx, int Dy)[] Passes => Interlaced ? Adam7 : Single;

    /// <summary>Samples per pixel as stored: grey 1, RGB 3, palette index 1, grey+alpha 2, RGBA 4.</summary>
    public int SamplesPerPixel => ColourType switch { Rgb => 3, GrayAlpha => 2, Rgba => 4, _ => 1 };

    /// <summary>Channels of the decoded image: grey types give 1, the others 3.</summary>
    public int OutputChannels => ColourType is Gray or GrayAlpha ? 1 : 3;

    /// <summary>Filter unit: bytes per complete pixel, at least 1.</summary>
    public int FilterBytes => Math.Max(1, SamplesPerPixel * BitDepth / 8);

    public long RowBytes(int pixels) => ((long)pixels * SamplesPerPixel * BitDepth + 7) / 8;

    /// <summary>Size of the decompressed stream: every non-empty pass row plus its filter-type byte.</summary>
    public long RawBytes()
    {
        long total = 0;
        foreach (var (x0, y0, dx, dy) in Passes)
        {
            long pw = PassSize(Width, x0, dx), ph = PassSize(Height, y0, dy);
            if (pw > 0 && ph > 0) total += ph * (1 + RowBytes((int)pw));
        }
        return total;
    }

    public static int PassSize(int size, int start, int step) => size <= start ? 0 : (size - start + step - 1) / step;

    public static PngHeader Parse(ReadOnlySpan<byte> ihdr, string name, long maxPixels = ImageLimits.DefaultMaxPixels)
    {
        if (ihdr.Length != 13) throw new InvalidDataException($"{name}: IHDR chunk of {ihdr.Length} bytes (must be 13)");
        long width = BinaryPrimitives.ReadUInt32BigEndian(ihdr), height = BinaryPrimitives.ReadUInt32BigEndian(ihdr[4..]);
        int depth = ihdr[8], colour = ihdr[9];
        ImageLimits.Check(name, "PNG", width, height, maxPixels);
        bool depthOk = colour switch
        {
            Gray => depth is 1 or 2 or 4 or 8 or 16,
            Palette => depth is 1 or 2 or 4 or 8,
            Rgb or GrayAlpha or Rgba => depth is 8 or 16,
            _ => throw new InvalidDataException($"{name}: PNG colour type {colour} does not exist"),
        };
        if (!depthOk) throw new InvalidDataException($"{name}: PNG bit depth {depth} is not allowed for colour type {colour}");
        if (ihdr[10] != 0) throw new InvalidDataException($"{name}: unknown PNG compression method {ihdr[10]}");
        if (ihdr[11] != 0) throw new InvalidDataException($"{name}: unknown PNG filter method {ihdr[11]}");
        if (ihdr[12] > 1) throw new InvalidDataException($"{name}: unknown PNG interlace method {ihdr[12]}");
        return new PngHeader((int)width, (int)height, depth, colour, ihdr[12] == 1);
    }
}
