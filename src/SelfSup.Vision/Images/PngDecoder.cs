using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace SelfSup.Vision;

/// <summary>
/// A managed PNG decoder: every colour type and bit depth, palettes, tRNS, Adam7 interlacing.
/// Grey types give 1 channel, the others 3. 16-bit samples keep their high byte (PIL does the same for
/// RGB/RGBA/grey+alpha; for plain 16-bit grey PIL clips to 255 instead, which we consider a bug).
/// Transparency is composited on black or dropped (<see cref="AlphaHandling"/>). Every chunk's CRC is
/// checked; the header is checked against <see cref="ImageLimits"/> and the compressed size before
/// any pixel memory is allocated; inflation stops at the size IHDR implies (no zip bombs).
/// </summary>
public static class PngDecoder
{
    /// <summary>Deflate cannot expand by more than ~1032:1; more implied data than this means truncation.</summary>
    const long MaxInflateRatio = 1100;

    /// <summary>The size and channels <see cref="Decode"/> would give, from the IHDR chunk alone (which must come first).</summary>
    public static ImageShape ReadShape(ReadOnlySpan<byte> png, string name, long maxPixels = ImageLimits.DefaultMaxPixels)
    {
        if (png.Length < 8 + 8 + 13 + 4 || ImageDecoder.Sniff(png) != ImageFormat.Png || !png.Slice(12, 4).SequenceEqual("IHDR"u8)
            || BinaryPrimitives.ReadUInt32BigEndian(png[8..]) != 13)
            throw new InvalidDataException($"{name}: corrupt PNG (no IHDR chunk first)");
        if (Crc32.Iso.Compute(png.Slice(12, 4 + 13)) != BinaryPrimitives.ReadUInt32BigEndian(png[(16 + 13)..]))
            throw new InvalidDataException($"{name}: corrupt PNG (bad CRC in chunk 'IHDR')");
        var header = PngHeader.Parse(png.Slice(16, 13), name, maxPixels);
        return new ImageShape(header.Width, header.Height, header.OutputChannels);
    }

    /// <summary>Decodes a PNG; failures are <see cref="InvalidDataException"/>s starting with <paramref name="name"/>.</summary>
    public static RawImage Decode(ReadOnlySpan<byte> png, string name, AlphaHandling alpha = AlphaHandling.CompositeOnBlack,
        long maxPixels = ImageLimits.DefaultMaxPixels)
    {
        if (png.Length < 8 || ImageDecoder.Sniff(png) != ImageFormat.Png)
            throw new InvalidDataException($"{name}: not a PNG (bad signature)");
        PngHeader? header = null;
        ReadOnlySpan<byte> palette = default, transparency = default;
        var idat = new List<(int Start, int Length)>();
        long idatBytes = 0;
        int pos = 8;
        for (bool end = false; !end;)
        {
            if (pos + 8L > png.Length) throw new InvalidDataException($"{name}: truncated PNG (no IEND chunk)");
            uint length = BinaryPrimitives.ReadUInt32BigEndian(png[pos..]);
            var type = png.Slice(pos + 4, 4);
            string typeName = ChunkName(type);
            if (length > int.MaxValue) throw new InvalidDataException($"{name}: PNG chunk '{typeName}' claims {length} bytes");
            foreach (byte b in type)
                if (!char.IsAsciiLetter((char)b)) throw new InvalidDataException($"{name}: corrupt PNG (bad chunk type '{typeName}')");
            if (pos + 12L + length > png.Length)
                throw new InvalidDataException($"{name}: truncated PNG (chunk '{typeName}' runs past the end of the file)");
            var data = png.Slice(pos + 8, (int)length);
            uint stored = BinaryPrimitives.ReadUInt32BigEndian(png[(pos + 8 + (int)length)..]);
            if (Crc32.Iso.Compute(png.Slice(pos + 4, 4 + (int)length)) != stored)
                throw new InvalidDataException($"{name}: corrupt PNG (bad CRC in chunk '{typeName}')");
            if (header is null && typeName != "IHDR")
                throw new InvalidDataException($"{name}: corrupt PNG (first chunk is '{typeName}', not IHDR)");
            switch (typeName)
            {
                case "IHDR":
                    if (header is not null) throw new InvalidDataException($"{name}: corrupt PNG (second IHDR)");
                    header = PngHeader.Parse(data, name, maxPixels);
                    break;
                case "PLTE":
                    if (length % 3 != 0 || length == 0 || length > 256 * 3)
                        throw new InvalidDataException($"{name}: corrupt PNG (PLTE of {length} bytes)");
                    palette = data;
                    break;
                case "tRNS": transparency = data; break;
                case "IDAT": idat.Add((pos + 8, (int)length)); idatBytes += length; break;
                case "IEND": end = true; break;
            }
            pos += 12 + (int)length;
        }

        var h = header!;
        if (idat.Count == 0) throw new InvalidDataException($"{name}: corrupt PNG (no IDAT chunk)");
        if (h.ColourType == PngHeader.Palette && palette.IsEmpty)
            throw new InvalidDataException($"{name}: corrupt PNG (palette image without PLTE)");
        long raw = h.RawBytes();
        if (raw > idatBytes * MaxInflateRatio + 1024)
            throw new InvalidDataException(
                $"{name}: truncated PNG ({idatBytes} compressed bytes cannot hold a {h.Width}×{h.Height} image)");

        var compressed = GC.AllocateUninitializedArray<byte>((int)idatBytes);
        int at = 0;
        foreach (var (start, len) in idat) { png.Slice(start, len).CopyTo(compressed.AsSpan(at)); at += len; }
        var rows = new PngRows(h, palette, transparency, alpha, name);
        return Inflate(h, compressed, rows, name);
    }

    static RawImage Inflate(PngHeader h, byte[] compressed, PngRows rows, string name)
    {
        var pixels = new byte[(long)h.Width * h.Height * h.OutputChannels];
        int maxRow = (int)h.RowBytes(h.Width);
        var current = new byte[maxRow + 1];
        var previous = new byte[maxRow + 1];
        using var zlib = new ZLibStream(new MemoryStream(compressed, writable: false), CompressionMode.Decompress);
        foreach (var (x0, y0, dx, dy) in h.Passes)
        {
            int pw = PngHeader.PassSize(h.Width, x0, dx), ph = PngHeader.PassSize(h.Height, y0, dy);
            if (pw == 0 || ph == 0) continue;
            int rowBytes = (int)h.RowBytes(pw);
            Array.Clear(previous);
            for (int r = 0; r < ph; r++)
            {
                var row = current.AsSpan(0, rowBytes + 1);
                int read;
                try { read = zlib.ReadAtLeast(row, row.Length, throwOnEndOfStream: false); }
                catch (InvalidDataException e)
                {
                    throw new InvalidDataException($"{name}: corrupt PNG image data ({e.Message})", e);
                }
                if (read < row.Length) throw new InvalidDataException($"{name}: truncated PNG (image data ends early)");
                if (row[0] > 4) throw new InvalidDataException($"{name}: corrupt PNG (row filter type {row[0]})");
                PngRows.Unfilter(row[0], row[1..], previous.AsSpan(1, rowBytes), h.FilterBytes);
                rows.Emit(row[1..], pw, pixels, y0 + r * dy, x0, dx);
                (current, previous) = (previous, current);
            }
        }
        return new RawImage(h.Width, h.Height, h.OutputChannels, pixels);
    }

    static string ChunkName(ReadOnlySpan<byte> type)
    {
        var sb = new StringBuilder(4);
        foreach (byte b in type) sb.Append(b is >= 0x20 and < 0x7F ? (char)b : '?');
        return sb.ToString();
    }
}
