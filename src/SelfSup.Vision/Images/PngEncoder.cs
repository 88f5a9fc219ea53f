using System.Buffers.Binary;
using System.IO.Compression;

namespace SelfSup.Vision;

/// <summary>
/// Writes 8-bit grey or RGB PNGs (report grids, debugging). Each row gets the filter whose output has
/// the smallest sum of absolute signed bytes (libpng's adaptive heuristic), then zlib compresses all.
/// </summary>
public static class PngEncoder
{
    /// <summary>The PNG file for <paramref name="image"/> (colour type 0 for 1 channel, 2 for 3).</summary>
    public static byte[] Encode(RawImage image, CompressionLevel level = CompressionLevel.Optimal)
    {
        int w = image.Width, h = image.Height, c = image.Channels, stride = w * c;
        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, level, leaveOpen: true))
        {
            var best = new byte[stride + 1];
            var trial = new byte[stride + 1];
            var zeros = new byte[stride];
            for (int y = 0; y < h; y++)
            {
                var row = image.Pixels.AsSpan(y * stride, stride);
                var above = y == 0 ? zeros : image.Pixels.AsSpan((y - 1) * stride, stride);
                long bestCost = long.MaxValue;
                for (int type = 0; type <= 4; type++)
                {
                    long cost = Filter(type, row, above, c, trial);
                    if (cost < bestCost) { bestCost = cost; (best, trial) = (trial, best); }
                }
                zlib.Write(best);
            }
        }

        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        Span<byte> ihdr = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, w);
        BinaryPrimitives.WriteInt32BigEndian(ihdr[4..], h);
        ihdr[8] = 8;                                    // bit depth
        ihdr[9] = (byte)(c == 1 ? 0 : 2);               // colour type; compression, filter, interlace 0
        WriteChunk(png, "IHDR"u8, ihdr);
        WriteChunk(png, "IDAT"u8, compressed.GetBuffer().AsSpan(0, (int)compressed.Length));
        WriteChunk(png, "IEND"u8, []);
        return png.ToArray();
    }

    /// <summary>Writes <paramref name="image"/> to <paramref name="path"/> atomically (temporary file, flush, rename).</summary>
    public static void Save(string path, RawImage image)
    {
        var bytes = Encode(image);
        var full = Path.GetFullPath(path);
        var temp = full + $".tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                file.Write(bytes);
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>Filters one row into <paramref name="output"/> (type byte first); returns Σ|signed byte|.</summary>
    static long Filter(int type, ReadOnlySpan<byte> row, ReadOnlySpan<byte> above, int bpp, byte[] output)
    {
        output[0] = (byte)type;
        long cost = 0;
        for (int i = 0; i < row.Length; i++)
        {
            byte a = i >= bpp ? row[i - bpp] : (byte)0, b = above[i], c = i >= bpp ? above[i - bpp] : (byte)0;
            int predicted = type switch { 0 => 0, 1 => a, 2 => b, 3 => (a + b) >> 1, _ => PngRows.Paeth(a, b, c) };
            byte d = (byte)(row[i] - predicted);
            output[i + 1] = d;
            int signed = (sbyte)d;
            cost += signed < 0 ? -signed : signed;
        }
        return cost;
    }

    static void WriteChunk(Stream s, ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        s.Write(word);
        s.Write(type);
        s.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32.Iso.Append(Crc32.Iso.Compute(type), data));
        s.Write(word);
    }
}
