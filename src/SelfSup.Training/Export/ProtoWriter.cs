using System.Buffers.Binary;
using System.Text;

namespace SelfSup.Training;

/// <summary>
/// Just enough of the protocol-buffer wire format to write TensorBoard's Event and ONNX's ModelProto messages by hand: a field key is
/// (number &lt;&lt; 3 | wire type) as a varint; wire types 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32.
/// </summary>
public sealed class ProtoWriter
{
    readonly MemoryStream buffer = new();

    public byte[] ToArray() => buffer.ToArray();

    void Varint(ulong value)
    {
        while (value >= 0x80) { buffer.WriteByte((byte)(value | 0x80)); value >>= 7; }
        buffer.WriteByte((byte)value);
    }

    void Key(int field, int wireType) => Varint((ulong)((field << 3) | wireType));

    /// <summary>int64/uint64 field (negative numbers take ten bytes, as protobuf's int64 does).</summary>
    public ProtoWriter Int64(int field, long value) { Key(field, 0); Varint(unchecked((ulong)value)); return this; }

    /// <summary>double field (fixed64, little-endian IEEE 754).</summary>
    public ProtoWriter Double(int field, double value)
    {
        Key(field, 1);
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteDoubleLittleEndian(b, value);
        buffer.Write(b);
        return this;
    }

    /// <summary>float field (fixed32, little-endian IEEE 754).</summary>
    public ProtoWriter Float(int field, float value)
    {
        Key(field, 5);
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(b, value);
        buffer.Write(b);
        return this;
    }

    /// <summary>bytes or embedded-message field: length varint, then the bytes.</summary>
    public ProtoWriter Bytes(int field, ReadOnlySpan<byte> value)
    {
        Key(field, 2);
        Varint((ulong)value.Length);
        buffer.Write(value);
        return this;
    }

    /// <summary>string field (UTF-8).</summary>
    public ProtoWriter String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    /// <summary>embedded message field.</summary>
    public ProtoWriter Message(int field, ProtoWriter message) =>
        Bytes(field, message.buffer.GetBuffer().AsSpan(0, (int)message.buffer.Length));
}
