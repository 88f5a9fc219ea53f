using System.Buffers.Binary;
using System.Text;

namespace SelfSup.Training;

/// <summary>
/// The protocol-buffers wire format, just enough to write ONNX: each field is a key varint (field number ≪ 3 | wire
/// type), then a varint (type 0: ints, enums), 4 little-endian bytes (type 5: float) or a length varint and the bytes
/// (type 2: strings, bytes, nested messages). Calls chain: <c>new ProtoWriter().String(1, "x").Varint(2, 7)</c>.
/// </summary>
public sealed class ProtoWriter
{
    const int VarintType = 0, LengthDelimitedType = 2, Fixed32Type = 5;
    readonly MemoryStream buffer = new();

    public long Length => buffer.Length;

    /// <summary>An int64/int32/enum field; negative values take ten bytes (two's complement, as protobuf does).</summary>
    public ProtoWriter Varint(int field, long value)
    {
        Key(field, VarintType);
        WriteVarint((ulong)value);
        return this;
    }

    public ProtoWriter Float(int field, float value)
    {
        Key(field, Fixed32Type);
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
        buffer.Write(bytes);
        return this;
    }

    public ProtoWriter Bytes(int field, ReadOnlySpan<byte> value)
    {
        Key(field, LengthDelimitedType);
        WriteVarint((ulong)value.Length);
        buffer.Write(value);
        return this;
    }

    public ProtoWriter String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    /// <summary>A nested message as a length-delimited field.</summary>
    public ProtoWriter Message(int field, ProtoWriter message) =>
        Bytes(field, message.buffer.GetBuffer().AsSpan(0, (int)message.buffer.Length));

    public byte[] ToArray() => buffer.ToArray();

    void Key(int field, int wireType)
    {
        if (field < 1) throw new ArgumentOutOfRangeException(nameof(field), "protobuf field numbers start at 1");
        WriteVarint(((ulong)field << 3) | (uint)wireType);
    }

    void WriteVarint(ulong value)
    {
        while (value >= 0x80)
        {
            buffer.WriteByte((byte)(value | 0x80));                 // low 7 bits, more to come
            value >>= 7;
        }
        buffer.WriteByte((byte)value);
    }
}
