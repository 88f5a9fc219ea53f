using System.Buffers.Binary;
using System.IO.Compression;

namespace SelfSup.Vision;

/// <summary>
/// Reads IDX files (LeCun's MNIST format), gzipped or raw: a big-endian header 00 00 TYPE NDIMS, NDIMS
/// big-endian int32 sizes, then the samples. Only unsigned bytes (type 0x08) are accepted, as in MNIST and
/// Fashion-MNIST. The header is checked against the data length before anything large is allocated.
/// </summary>
public static class IdxFile
{
    const byte UnsignedByte = 0x08;
    const int MaxDims = 4;

    /// <summary>The sizes and the samples (row-major) of an unsigned-byte IDX file; gzip is detected by its magic.</summary>
    public static (int[] Dims, byte[] Data) Read(string path)
    {
        using var file = File.OpenRead(path);
        Span<byte> gzipMagic = stackalloc byte[2];
        bool gz = file.Read(gzipMagic) == 2 && gzipMagic[0] == 0x1F && gzipMagic[1] == 0x8B;
        file.Position = 0;
        try
        {
            using Stream stream = gz ? new GZipStream(file, CompressionMode.Decompress) : file;
            var dims = ReadHeader(stream, path);
            long expected = 1;
            foreach (int d in dims) expected = Math.Min(expected * d, (long)Array.MaxLength + 1);   // saturates: no overflow
            if (expected > Array.MaxLength)
                throw new InvalidDataException($"{path}: IDX header claims {Shape(dims)} bytes, more than one array holds");
            long headerBytes = 4 + 4L * dims.Length;
            if (!gz && file.Length != headerBytes + expected)
                throw new InvalidDataException(file.Length < headerBytes + expected
                    ? $"{path}: truncated IDX file: header {Shape(dims)} needs {expected} bytes of data, file has {file.Length - headerBytes}"
                    : $"{path}: IDX file has {file.Length - headerBytes - expected} bytes after the {Shape(dims)} data");
            var data = gz ? ReadAllBounded(stream, expected, path, dims) : new byte[expected];
            if (!gz) stream.ReadExactly(data);
            return (dims, data);
        }
        catch (InvalidDataException e) when (!e.Message.StartsWith(path, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path}: corrupt gzip stream ({e.Message})", e);   // from GZipStream
        }
    }

    static int[] ReadHeader(Stream stream, string path)
    {
        Span<byte> magic = stackalloc byte[4];
        if (stream.ReadAtLeast(magic, 4, throwOnEndOfStream: false) < 4)
            throw new InvalidDataException($"{path}: too short for an IDX header");
        if (magic[0] != 0 || magic[1] != 0 || magic[3] is 0 or > MaxDims)
            throw new InvalidDataException($"{path}: not an IDX file (magic {Convert.ToHexString(magic)}, expected 000008 and 1–{MaxDims} dimensions)");
        if (magic[2] != UnsignedByte)
            throw new InvalidDataException($"{path}: IDX data type 0x{magic[2]:X2} is not supported (only unsigned bytes, 0x08)");
        var sizes = new byte[4 * magic[3]];
        if (stream.ReadAtLeast(sizes, sizes.Length, throwOnEndOfStream: false) < sizes.Length)
            throw new InvalidDataException($"{path}: IDX header ends inside its dimension sizes");
        var dims = new int[magic[3]];
        for (int i = 0; i < dims.Length; i++)
        {
            dims[i] = BinaryPrimitives.ReadInt32BigEndian(sizes.AsSpan(4 * i));
            if (dims[i] <= 0) throw new InvalidDataException($"{path}: IDX dimension {i} has size {dims[i]}");
        }
        return dims;
    }

    /// <summary>Reads exactly <paramref name="expected"/> bytes and checks the stream ends there, growing the buffer
    /// as data arrives so a lying header cannot make us allocate more than the file really holds.</summary>
    static byte[] ReadAllBounded(Stream stream, long expected, string path, int[] dims)
    {
        var buffer = new byte[Math.Min(expected, 1 << 20)];
        long filled = 0;
        while (filled < expected)
        {
            if (filled == buffer.Length) Array.Resize(ref buffer, (int)Math.Min(expected, 2L * buffer.Length));
            int n = stream.Read(buffer, (int)filled, (int)(buffer.Length - filled));
            if (n == 0)
                throw new InvalidDataException($"{path}: truncated IDX file: header {Shape(dims)} needs {expected} bytes of data, file has {filled}");
            filled += n;
        }
        if (stream.ReadByte() >= 0)
            throw new InvalidDataException($"{path}: IDX file has data after the {Shape(dims)} samples its header declares");
        return buffer;
    }

    static string Shape(int[] dims) => string.Join('×', dims);

    /// <summary>Writes an unsigned-byte IDX file (gzipped when the path ends in .gz); for tests and exports.</summary>
    public static void Write(string path, int[] dims, ReadOnlySpan<byte> data)
    {
        using var file = File.Create(path);
        using Stream stream = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionLevel.Fastest) : file;
        stream.Write([0, 0, UnsignedByte, (byte)dims.Length]);
        Span<byte> size = stackalloc byte[4];
        foreach (int d in dims) { BinaryPrimitives.WriteInt32BigEndian(size, d); stream.Write(size); }
        stream.Write(data);
    }
}
