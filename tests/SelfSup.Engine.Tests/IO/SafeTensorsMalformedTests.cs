using System.Buffers.Binary;
using SelfSup.Engine;
using SelfSup.Engine.IO;
using Xunit;

namespace SelfSup.Engine.Tests;

using static SafeTensorsBytes;

/// <summary>Every malformed file is an InvalidDataException naming the file and what is wrong — never another exception.</summary>
public class SafeTensorsMalformedTests
{
    static byte[] Valid()
    {
        var s = new StateDict();
        s.Add("fc.weight", Tensor.From([1f, 2f, 3f], 3));
        s.Add("bn.num_batches_tracked", new IntTensor([7]));
        s.Metadata["epoch"] = "3";
        return SafeTensors.Serialize(s);
    }

    static InvalidDataException Rejects(byte[] bytes, string source = "model.safetensors")
    {
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Deserialize(bytes, source));
        Assert.StartsWith(source + ": ", e.Message);
        return e;
    }

    static byte[] SizeOnly(ulong headerSize, int extra)
    {
        var b = new byte[8 + extra];
        BinaryPrimitives.WriteUInt64LittleEndian(b, headerSize);
        b.AsSpan(8).Fill((byte)'{');
        return b;
    }

    public static TheoryData<string, byte[], string> Cases => new()
    {
        { "header size huge", SizeOnly(ulong.MaxValue, 16), "header size 18446744073709551615 exceeds the 16 bytes" },
        { "header size beyond the file", SizeOnly(1000, 40), "header size 1000 exceeds the 40 bytes" },
        { "bad JSON", Build("""{"a": {"dtype": """, []), "not valid JSON" },
        { "trailing comma", Build("""{"__metadata__":{"a":"b"},}""", []), "not valid JSON" },
        { "root not an object", Build("[1, 2]", []), "must be a JSON object" },
        { "invalid UTF-8 name", InvalidUtf8Name(), "header is not valid UTF-8" },
        { "entry not an object", Build("""{"w": 3}""", []), "tensor 'w' must be an object" },
        { "negative shape", Build(One("w", "F32", "[-1, 2]", "[0, 8]"), new byte[8]), "tensor 'w' shape [-1, 2] must hold non-negative integers" },
        { "fractional shape", Build(One("w", "F32", "[2.5]", "[0, 8]"), new byte[8]), "tensor 'w' shape [2.5]" },
        { "shape not an array", Build(One("w", "F32", "\"2\"", "[0, 8]"), new byte[8]), "tensor 'w' shape must be an array" },
        { "overflowing shape", Build(One("w", "F32", "[65536, 65536]", "[0, 8]"), new byte[8]), "has more than 2147483647 elements" },
        { "overflowing dimension", Build(One("w", "F32", "[1099511627776]", "[0, 8]"), new byte[8]), "has a dimension above" },
        { "offsets out of range", Build(One("fc.weight", "F32", "[2]", "[0, 999999]"), new byte[4096]), "tensor 'fc.weight' data_offsets [0, 999999] exceed the 4096-byte data buffer" },
        { "offsets reversed", Build(One("w", "F32", "[2]", "[8, 0]"), new byte[8]), "tensor 'w' data_offsets [8, 0] are reversed" },
        { "offsets wrong length", Build(One("w", "F32", "[2]", "[0, 4]"), new byte[8]), "tensor 'w' data_offsets [0, 4] hold 4 bytes, but shape (2) of F32 needs 8" },
        { "three offsets", Build(One("w", "F32", "[2]", "[0, 4, 8]"), new byte[8]), "tensor 'w' data_offsets must be two non-negative integers" },
        { "negative offset", Build(One("w", "F32", "[2]", "[-8, 0]"), new byte[8]), "tensor 'w' data_offsets must be two non-negative integers" },
        { "unknown dtype", Build(One("w", "F8_E4M3", "[2]", "[0, 2]"), new byte[2]), "tensor 'w' has unsupported dtype 'F8_E4M3'" },
        { "lower-case dtype", Build(One("w", "f32", "[2]", "[0, 8]"), new byte[8]), "unsupported dtype 'f32'" },
        { "missing dtype", Build("""{"w":{"shape":[2],"data_offsets":[0,8]}}""", new byte[8]), "tensor 'w' has no dtype" },
        { "missing offsets", Build("""{"w":{"dtype":"F32","shape":[2]}}""", new byte[8]), "tensor 'w' has no data_offsets" },
        { "unknown field", Build("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"stride":[1]}}""", new byte[8]), "tensor 'w' has unknown field 'stride'" },
        { "overlapping tensors", Build("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", new byte[12]), "tensor 'b' data_offsets [4, 12] overlap tensor 'a' [0, 8]" },
        { "duplicate names", Build("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", new byte[8]), "duplicate tensor name 'w'" },
        { "metadata non-string", Build("""{"__metadata__":{"epoch":3}}""", []), "__metadata__ entry 'epoch' must be a string" },
        { "metadata not an object", Build("""{"__metadata__":"x"}""", []), "__metadata__ must be an object" },
        { "I64 outside int range", Build(One("n", "I64", "[2]", "[0, 16]"), I64(1, 1L << 40)), "tensor 'n' element 1 = 1099511627776 is outside the int32 range" },
        { "BOOL other than 0/1", Build(One("m", "BOOL", "[2]", "[0, 2]"), [1, 2]), "tensor 'm' element 1 = 2 is outside {0, 1}" },
    };

    /// <summary>A header whose only name has the bytes FF FE, which are not UTF-8.</summary>
    static byte[] InvalidUtf8Name()
    {
        var raw = Build("{\"??\":{}}", []);
        raw[10] = 0xFF; raw[11] = 0xFE;
        return raw;
    }

    [Theory, MemberData(nameof(Cases))]
    public void Malformed_file_is_rejected_with_a_message_naming_the_problem(string why, byte[] bytes, string expected)
    {
        _ = why;
        var e = Rejects(bytes);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Zero_sized_dimension_makes_an_empty_tensor_even_beside_huge_ones()
    {
        // numel = 0 whatever the other dimensions: the product of the huge ones must not be formed first.
        var bytes = Build(One("w", "F32", "[2147483647, 2147483647, 2147483647, 0]", "[0, 0]"), []);
        var w = SafeTensors.Deserialize(bytes, "empty").Float("w");
        Assert.Equal(0, w.Numel);
        Assert.Equal([int.MaxValue, int.MaxValue, int.MaxValue, 0], w.Shape);
    }

    [Fact]
    public void Every_truncation_of_a_valid_file_is_rejected()
    {
        var valid = Valid();
        Assert.Equal(3, SafeTensors.Deserialize(valid, "ok").Float("fc.weight").Numel);
        for (int length = 0; length < valid.Length; length++)
            Rejects(valid[..length], $"cut{length}.safetensors");
    }

    [Fact]
    public void Every_truncation_of_a_valid_file_on_disk_is_rejected_by_Load()
    {
        var valid = Valid();
        string path = Path.Combine(Path.GetTempPath(), $"selfsup-cut-{Guid.NewGuid():N}.safetensors");
        try
        {
            for (int length = 0; length < valid.Length; length++)
            {
                File.WriteAllBytes(path, valid[..length]);
                var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(path));
                Assert.StartsWith(path + ": ", e.Message);
            }
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Any_single_corrupted_byte_either_loads_or_is_rejected_cleanly()
    {
        var valid = Valid();
        foreach (byte value in new byte[] { 0x00, 0x22, 0x2D, 0x39, 0x7B, 0xFF })
        {
            for (int at = 0; at < valid.Length; at++)
            {
                var bytes = (byte[])valid.Clone();
                bytes[at] = value;
                try { SafeTensors.Deserialize(bytes, "flip"); }
                catch (InvalidDataException e) { Assert.StartsWith("flip: ", e.Message); }
            }
        }
    }

    [Fact]
    public void Header_above_the_100_MB_limit_is_rejected_before_parsing()
    {
        var bytes = new byte[8 + 100_000_008];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 100_000_001);
        Assert.Contains("exceeds the 100000000-byte limit", Rejects(bytes).Message);
    }
}
