using SelfSup.Engine;
using SelfSup.Engine.IO;
using Xunit;

namespace SelfSup.Engine.Tests;

using static SafeTensorsBytes;

/// <summary>The reader and writer checked against files built by hand from the safetensors spec.</summary>
public class SafeTensorsSpecTests
{
    [Fact]
    public void Reads_a_hand_built_file_with_unpadded_header_and_out_of_order_offsets()
    {
        // Data buffer: [0, 8) the I64 scalar, [8, 24) a 2×2 F32, [24, 24) an empty tensor; "a" is listed before "b"
        // in the header but stored after it.
        var header = """{"__metadata__":{"format":"pt","note":"ünï"},"a":{"dtype":"F32","shape":[2,2],"data_offsets":[8,24]},"b":{"dtype":"I64","shape":[],"data_offsets":[0,8]},"e":{"dtype":"F32","shape":[0],"data_offsets":[24,24]}}""";
        var bytes = Build(header, Concat(I64(-7), F32(1f, 2.5f, -3f, 0.125f)));
        var s = SafeTensors.Deserialize(bytes, "hand.safetensors");
        Assert.Equal(["a", "b", "e"], s.Keys);
        Assert.Equal([2, 2], s.Float("a").Shape);
        Assert.Equal([1f, 2.5f, -3f, 0.125f], s.Float("a").ToArray());
        Assert.Empty(s.Int("b").Shape);
        Assert.Equal([-7], s.Int("b").Data);
        Assert.Equal([0], s.Float("e").Shape);
        Assert.Equal("pt", s.Metadata["format"]);
        Assert.Equal("ünï", s.Metadata["note"]);
    }

    [Fact]
    public void Writer_produces_exactly_the_spec_bytes()
    {
        var s = new StateDict();
        s.Add("w", Tensor.From([1f, -2f], 2));
        s.Add("n", new IntTensor([5]));
        s.Metadata["k"] = "v";
        var header = """{"__metadata__":{"k":"v"},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"n":{"dtype":"I64","shape":[],"data_offsets":[8,16]}}""";
        Assert.Equal(Build(header, Concat(F32(1f, -2f), I64(5)), pad: true), SafeTensors.Serialize(s));
    }

    [Fact]
    public void Decodes_F16_known_values()
    {
        // 1, −2, 0.5, 65504 (max), 2^−24 (smallest subnormal), +∞, −0
        var bytes = Build(One("h", "F16", "[7]", "[0,14]"), U16(0x3C00, 0xC000, 0x3800, 0x7BFF, 0x0001, 0x7C00, 0x8000));
        var h = SafeTensors.Deserialize(bytes, "f16").Float("h").ToArray();
        Assert.Equal([1f, -2f, 0.5f, 65504f, MathF.Pow(2, -24), float.PositiveInfinity, -0f], h);
        Assert.True(float.IsNegative(h[6]));
    }

    [Fact]
    public void Decodes_BF16_known_values()
    {
        // bf16 = top half of the float32 bits: 0x3F80 → 1, 0xC000 → −2, 0x4049 → 3.140625, 0x0080 → 2^−126, 0xFF80 → −∞
        var bytes = Build(One("b", "BF16", "[5]", "[0,10]"), U16(0x3F80, 0xC000, 0x4049, 0x0080, 0xFF80));
        Assert.Equal([1f, -2f, 3.140625f, MathF.Pow(2, -126), float.NegativeInfinity], SafeTensors.Deserialize(bytes, "bf16").Float("b").ToArray());
    }

    [Fact]
    public void Decodes_F64_and_the_integer_dtypes()
    {
        var f64 = new byte[16];
        System.Buffers.Binary.BinaryPrimitives.WriteDoubleLittleEndian(f64, 0.1);
        System.Buffers.Binary.BinaryPrimitives.WriteDoubleLittleEndian(f64.AsSpan(8), -1e300);
        var i32 = Concat(BitConverter.GetBytes(int.MinValue), BitConverter.GetBytes(5));
        var i16 = Concat(BitConverter.GetBytes((short)-32768), BitConverter.GetBytes((short)300));
        var header = """{"d":{"dtype":"F64","shape":[2],"data_offsets":[0,16]},"i32":{"dtype":"I32","shape":[2],"data_offsets":[16,24]},"i16":{"dtype":"I16","shape":[2],"data_offsets":[24,28]},"i8":{"dtype":"I8","shape":[2],"data_offsets":[28,30]},"u8":{"dtype":"U8","shape":[2],"data_offsets":[30,32]},"bool":{"dtype":"BOOL","shape":[2],"data_offsets":[32,34]},"i64":{"dtype":"I64","shape":[2],"data_offsets":[34,50]}}""";
        var data = Concat(f64, i32, i16, [0x80, 0x7F], [0, 255], [0, 1], I64(-5, int.MaxValue));
        var s = SafeTensors.Deserialize(Build(header, data), "dtypes");
        Assert.Equal([0.1f, float.NegativeInfinity], s.Float("d").ToArray());
        Assert.Equal([int.MinValue, 5], s.Int("i32").Data);
        Assert.Equal([-32768, 300], s.Int("i16").Data);
        Assert.Equal([-128, 127], s.Int("i8").Data);
        Assert.Equal([0, 255], s.Int("u8").Data);
        Assert.Equal([0, 1], s.Int("bool").Data);
        Assert.Equal([-5, int.MaxValue], s.Int("i64").Data);
    }

    [Fact]
    public void Load_from_file_reads_a_padded_header_and_a_gap_between_tensors()
    {
        // "b" at [0, 8), two unused bytes, "a" at [10, 12)
        var header = """{"a":{"dtype":"BF16","shape":[1],"data_offsets":[10,12]},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""";
        var bytes = Build(header, Concat(F32(7f, 8f), [0xAA, 0xBB], U16(0x3F80)), pad: true);
        string path = Path.Combine(Path.GetTempPath(), $"selfsup-spec-{Guid.NewGuid():N}.safetensors");
        try
        {
            System.IO.File.WriteAllBytes(path, bytes);
            foreach (var s in new[] { SafeTensors.Load(path), SafeTensors.Deserialize(bytes, "mem") })
            {
                Assert.Equal([1f], s.Float("a").ToArray());
                Assert.Equal([7f, 8f], s.Float("b").ToArray());
            }
        }
        finally { System.IO.File.Delete(path); }
    }
}
