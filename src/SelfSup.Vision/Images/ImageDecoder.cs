namespace SelfSup.Vision;

/// <summary>What a PNG decoder does with transparency (alpha channels and tRNS).</summary>
public enum AlphaHandling
{
    /// <summary>Composite on black: every sample becomes round(c·a/255) with 8-bit alpha a.</summary>
    CompositeOnBlack,
    /// <summary>Ignore alpha and keep the stored colour, as PIL's <c>convert('RGB')</c> does.</summary>
    Drop,
}

/// <summary>
/// The one entry point for reading images: sniffs the magic bytes (never the file extension) and
/// hands JPEG to <see cref="JpegDecoder"/> (libjpeg-turbo) and PNG to <see cref="PngDecoder"/> (managed).
/// Every decode failure is an <see cref="InvalidDataException"/> whose message starts with the file name.
/// </summary>
public static class ImageDecoder
{
    static ReadOnlySpan<byte> PngMagic => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>The container format the first bytes announce.</summary>
    public static ImageFormat Sniff(ReadOnlySpan<byte> bytes) =>
        bytes.Length >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF ? ImageFormat.Jpeg
        : bytes.StartsWith(PngMagic) ? ImageFormat.Png
        : ImageFormat.Unknown;

    /// <summary>Decodes a JPEG or PNG held in memory; <paramref name="name"/> is only used in error messages.</summary>
    /// <remarks><paramref name="minSide"/> &gt; 0 lets a JPEG be decoded at a reduced scale whose shorter side is still at
    /// least that (see <see cref="JpegDecoder.Decode"/>); PNGs are always decoded whole.</remarks>
    /// <remarks><paramref name="maxPixels"/>: images whose header claims more are refused (<see cref="ImageLimits.Check"/>).</remarks>
    public static RawImage Decode(ReadOnlySpan<byte> bytes, string name, AlphaHandling alpha = AlphaHandling.CompositeOnBlack,
        int minSide = 0, long maxPixels = ImageLimits.DefaultMaxPixels)
    {
        var format = Format(bytes, name);
        try
        {
            return format == ImageFormat.Jpeg ? JpegDecoder.Decode(bytes, name, minSide, maxPixels) : PngDecoder.Decode(bytes, name, alpha, maxPixels);
        }
        catch (Exception e) when (e is not (InvalidDataException or OutOfMemoryException or DllNotFoundException))
        {
            throw DecoderBug(name, format, e);
        }
    }

    /// <summary>The size and channels a full-scale <see cref="Decode"/> would give, read from the header without decoding
    /// pixels; a header over the limits is an error, as in <see cref="Decode"/>.</summary>
    public static ImageShape ReadShape(ReadOnlySpan<byte> bytes, string name, long maxPixels = ImageLimits.DefaultMaxPixels)
    {
        var format = Format(bytes, name);
        try
        {
            return format == ImageFormat.Jpeg ? JpegDecoder.ReadShape(bytes, name, maxPixels) : PngDecoder.ReadShape(bytes, name, maxPixels);
        }
        catch (Exception e) when (e is not (InvalidDataException or OutOfMemoryException or DllNotFoundException))
        {
            throw DecoderBug(name, format, e);
        }
    }

    static ImageFormat Format(ReadOnlySpan<byte> bytes, string name)
    {
        if (bytes.IsEmpty) throw new InvalidDataException($"{name}: empty file (0 bytes)");
        var format = Sniff(bytes);
        if (format == ImageFormat.Unknown)
            throw new InvalidDataException($"{name}: not a JPEG or PNG image (starts with {Describe(bytes)})");
        return format;
    }

    /// <summary>A safety net: hostile input must never surface as another exception type.</summary>
    static InvalidDataException DecoderBug(string name, ImageFormat format, Exception e) =>
        new($"{name}: corrupt {format} (decoder bug: {e.GetType().Name}: {e.Message})", e);

    /// <summary>Reads and decodes an image file; errors name <paramref name="path"/>.</summary>
    public static RawImage Load(string path, AlphaHandling alpha = AlphaHandling.CompositeOnBlack, int minSide = 0)
    {
        long length = new FileInfo(path).Length;       // FileNotFoundException names a missing file
        if (length > ImageLimits.MaxFileBytes)
            throw new InvalidDataException($"{path}: file of {length} bytes is over the {ImageLimits.MaxFileBytes >> 20} MB limit");
        return Decode(File.ReadAllBytes(path), path, alpha, minSide);
    }

    /// <summary>The first bytes as text when printable, else as hex: <c>'hello wo'</c> or <c>00 01 02 …</c>.</summary>
    static string Describe(ReadOnlySpan<byte> bytes)
    {
        var head = bytes[..Math.Min(8, bytes.Length)];
        bool printable = true;
        foreach (var b in head) printable &= b is >= 0x20 and < 0x7F or (byte)'\t' or (byte)'\n' or (byte)'\r';
        if (printable)
            return "'" + System.Text.Encoding.ASCII.GetString(head).Replace("\n", "\\n").Replace("\r", "\\r").Replace("\t", "\\t") + "'";
        return Convert.ToHexString(head).Chunk(2).Aggregate("", (s, c) => s + (s.Length > 0 ? " " : "") + new string(c));
    }
}

/// <summary>Image container formats <see cref="ImageDecoder"/> recognises.</summary>
public enum ImageFormat { Unknown, Jpeg, Png }
