using System.Buffers.Binary;
using System.Text;
using Xunit;

namespace SelfSup.Training.Tests;

/// <summary>One decoded TensorBoard event: wall time, step, the file version (first record) and the scalar values.</summary>
sealed record DecodedEvent(double WallTime, long Step, string? FileVersion, IReadOnlyList<(string Tag, float Value)> Values);

/// <summary>
/// A test-side reader of TFRecord event files, written independently of the product: a bit-by-bit CRC-32C (no table),
/// and a generic protobuf field decoder. Every record's two CRCs are checked.
/// </summary>
static class EventFileReader
{
    static uint BitwiseCrc32C(ReadOnlySpan<byte> data)
    {
        uint crc = ~0u;
        foreach (var b in data)
        {
            crc ^= b;
            for (int i = 0; i < 8; i++) crc = (crc >> 1) ^ (0x82F63B78u & (uint)-(int)(crc & 1));
        }
        return ~crc;
    }

    static uint Masked(ReadOnlySpan<byte> data)
    {
        uint crc = BitwiseCrc32C(data);
        return unchecked(((crc >> 15) | (crc << 17)) + 0xa282ead8u);
    }

    public static List<DecodedEvent> Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var events = new List<DecodedEvent>();
        int at = 0;
        while (at < bytes.Length)
        {
            Assert.True(at + 12 <= bytes.Length, $"truncated record header at byte {at}");
            var lengthBytes = bytes.AsSpan(at, 8);
            ulong length = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
            Assert.Equal(Masked(lengthBytes), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 8)));
            Assert.True((ulong)(at + 16) + length <= (ulong)bytes.Length, $"truncated record at byte {at}");
            var data = bytes.AsSpan(at + 12, (int)length);
            Assert.Equal(Masked(data), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 12 + (int)length)));
            events.Add(DecodeEvent(data.ToArray()));
            at += 16 + (int)length;
        }
        return events;
    }

    static DecodedEvent DecodeEvent(byte[] data)
    {
        double wall = 0; long step = 0; string? version = null; var values = new List<(string, float)>();
        foreach (var (field, wire, number, bytes) in Fields(data))
            switch (field)
            {
                case 1: Assert.Equal(1, wire); wall = BitConverter.Int64BitsToDouble((long)number); break;
                case 2: Assert.Equal(0, wire); step = (long)number; break;
                case 3: Assert.Equal(2, wire); version = Encoding.UTF8.GetString(bytes!); break;
                case 5:
                    Assert.Equal(2, wire);
                    foreach (var (vField, _, _, value) in Fields(bytes!))
                    {
                        Assert.Equal(1, vField);                                         // Summary.value
                        string tag = ""; float simple = float.NaN;
                        foreach (var (f, w, n, b) in Fields(value!))
                            if (f == 1) tag = Encoding.UTF8.GetString(b!);
                            else if (f == 2) { Assert.Equal(5, w); simple = BitConverter.Int32BitsToSingle((int)n); }
                        values.Add((tag, simple));
                    }
                    break;
                default: Assert.Fail($"unexpected Event field {field}"); break;
            }
        return new DecodedEvent(wall, step, version, values);
    }

    /// <summary>(field number, wire type, varint/fixed value, length-delimited bytes) of each field in order.</summary>
    static IEnumerable<(int Field, int Wire, ulong Number, byte[]? Bytes)> Fields(byte[] data)
    {
        int at = 0;
        ulong Varint()
        {
            ulong v = 0;
            for (int shift = 0; ; shift += 7)
            {
                byte b = data[at++];
                v |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80) return v;
            }
        }
        var result = new List<(int, int, ulong, byte[]?)>();
        while (at < data.Length)
        {
            ulong key = Varint();
            int field = (int)(key >> 3), wire = (int)(key & 7);
            switch (wire)
            {
                case 0: result.Add((field, wire, Varint(), null)); break;
                case 1: result.Add((field, wire, BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(at)), null)); at += 8; break;
                case 5: result.Add((field, wire, BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(at)), null)); at += 4; break;
                case 2: int n = (int)Varint(); result.Add((field, wire, 0, data.AsSpan(at, n).ToArray())); at += n; break;
                default: throw new InvalidDataException($"wire type {wire}");
            }
        }
        return result;
    }
}
