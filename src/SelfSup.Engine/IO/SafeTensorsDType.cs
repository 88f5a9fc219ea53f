using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace SelfSup.Engine.IO;

/// <summary>The safetensors element types this reader understands.</summary>
internal enum SafeTensorsDType { F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL }

/// <summary>Sizes of the safetensors dtypes and their conversion to SelfSup's float32 / int32 tensors.</summary>
internal static class SafeTensorsDTypes
{
    public const string Supported = "F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL";

    public static bool TryParse(string text, out SafeTensorsDType dtype) =>
        Enum.TryParse(text, ignoreCase: false, out dtype) && Enum.IsDefined(dtype) && text == dtype.ToString();

    public static int Size(SafeTensorsDType dtype) => dtype switch
    {
        SafeTensorsDType.F64 or SafeTensorsDType.I64 => 8,
        SafeTensorsDType.F32 or SafeTensorsDType.I32 => 4,
        SafeTensorsDType.F16 or SafeTensorsDType.BF16 or SafeTensorsDType.I16 => 2,
        _ => 1,
    };

    /// <summary>Float dtypes load as <see cref="Tensor"/>; the integer ones and BOOL as <see cref="IntTensor"/>.</summary>
    public static bool IsFloat(SafeTensorsDType dtype) =>
        dtype is SafeTensorsDType.F32 or SafeTensorsDType.F16 or SafeTensorsDType.BF16 or SafeTensorsDType.F64;

    /// <summary>Decodes little-endian <paramref name="raw"/> (exactly numel·size bytes) into floats.</summary>
    public static void DecodeFloat(SafeTensorsDType dtype, ReadOnlySpan<byte> raw, Span<float> dst)
    {
        switch (dtype)
        {
            case SafeTensorsDType.F32:
                if (BitConverter.IsLittleEndian) raw.CopyTo(MemoryMarshal.AsBytes(dst));
                else for (int i = 0; i < dst.Length; i++) dst[i] = BinaryPrimitives.ReadSingleLittleEndian(raw[(4 * i)..]);
                break;
            case SafeTensorsDType.F16:
                for (int i = 0; i < dst.Length; i++) dst[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(raw[(2 * i)..]);
                break;
            case SafeTensorsDType.BF16:                                   // the top 16 bits of a float32
                for (int i = 0; i < dst.Length; i++)
                    dst[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(raw[(2 * i)..]) << 16);
                break;
            case SafeTensorsDType.F64:                                    // rounds; beyond float range gives ±∞
                for (int i = 0; i < dst.Length; i++) dst[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(raw[(8 * i)..]);
                break;
            default: throw new ArgumentException($"{dtype} is not a float dtype");
        }
    }

    /// <summary>
    /// Decodes little-endian integers (or BOOL bytes) into int32. Returns the index of the first value that
    /// does not fit (I64 outside the int range, BOOL other than 0/1), or −1 when all fit.
    /// </summary>
    public static int DecodeInt(SafeTensorsDType dtype, ReadOnlySpan<byte> raw, Span<int> dst)
    {
        for (int i = 0; i < dst.Length; i++)
        {
            switch (dtype)
            {
                case SafeTensorsDType.I64:
                    long v = BinaryPrimitives.ReadInt64LittleEndian(raw[(8 * i)..]);
                    if (v is < int.MinValue or > int.MaxValue) return i;
                    dst[i] = (int)v;
                    break;
                case SafeTensorsDType.I32: dst[i] = BinaryPrimitives.ReadInt32LittleEndian(raw[(4 * i)..]); break;
                case SafeTensorsDType.I16: dst[i] = BinaryPrimitives.ReadInt16LittleEndian(raw[(2 * i)..]); break;
                case SafeTensorsDType.I8: dst[i] = (sbyte)raw[i]; break;
                case SafeTensorsDType.U8: dst[i] = raw[i]; break;
                case SafeTensorsDType.BOOL:
                    if (raw[i] > 1) return i;
                    dst[i] = raw[i];
                    break;
                default: throw new ArgumentException($"{dtype} is not an integer dtype");
            }
        }
        return -1;
    }
}
