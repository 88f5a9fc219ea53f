using System.Buffers.Binary;
using System.Text;

namespace SelfSup.Engine.Tests;

/// <summary>Builds safetensors files byte by byte from the spec, independently of the writer under test.</summary>
static class SafeTensorsBytes
{
    /// <summary>u64 LE header size, the header text (optionally space-padded to a multiple of 8), then the data.</summary>
    public static byte[] Build(string header, byte[] data, bool pad = false)
    {
        var json = Encoding.UTF8.GetBytes(header);
        int size = pad ? (json.Length + 7) / 8 * 8 : json.Length;
        var bytes = new byte[8 + size + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)size);
        json.CopyTo(bytes, 8);
        bytes.AsSpan(8 + json.Length, size - json.Length).Fill((byte)' ');
        data.CopyTo(bytes, 8 + size);
        return bytes;
    }

    public static byte[] F32(params float[] values)
    {
        var b = new byte[4 * values.Length];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(4 * i), values[i]);
        return b;
    }

    public static byte[] I64(params long[] values)
    {
        var b = new byte[8 * values.Length];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(8 * i), values[i]);
        return b;
    }

    public static byte[] U16(params ushort[] values)
    {
        var b = new byte[2 * values.Length];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(2 * i), values[i]);
        return b;
    }

    public static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];

    /// <summary>A header with one tensor entry (the common shape of the malformed cases).</summary>
    public static string One(string name, string dtype, string shape, string offsets) =>
        "{\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":" + offsets + "}}";
}
