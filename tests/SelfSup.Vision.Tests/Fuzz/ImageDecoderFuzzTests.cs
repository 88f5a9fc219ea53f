using Xunit;
using SelfSup.Testing;
using Xunit.Abstractions;

namespace SelfSup.Vision.Tests;

/// <summary>Mutation fuzzing of the JPEG and PNG decoders (see <see cref="Fuzz"/>): seeds are the small image fixtures.</summary>
public sealed class ImageDecoderFuzzTests(ITestOutputHelper output)
{
    static readonly Fuzz.Limits Limits = new("image", [typeof(InvalidDataException)],
        BytesPerInputByte: 64, FixedBytes: 64 << 20, Timeout: TimeSpan.FromSeconds(20));

    static List<byte[]> Seeds(string extension) =>
        [.. Directory.EnumerateFiles(Fixtures.Directory, "*" + extension).Order(StringComparer.Ordinal)
            .Select(File.ReadAllBytes).Where(b => b.Length < 64 << 10)];

    static string Decode(byte[] bytes)
    {
        var image = ImageDecoder.Decode(bytes, "fuzz");
        return $"{image.Width}x{image.Height}x{image.Channels} {Fuzz.Hash(image.Pixels)}";
    }

    [Fact, Trait("Category", "Fuzz")]
    public void Jpeg_decoding_survives_mutations() =>
        Fuzz.Run(Limits with { Reader = "jpeg" }, Seeds(".jpg"), Decode, Fuzz.Cases(300), seed: 1, output);

    /// <summary>PNG chunks carry CRCs, so nearly every raw mutant stops at the first CRC check; re-sealing the chunks
    /// whose lengths still fit lets the mutations reach the header checks, the inflater and the row filters.</summary>
    [Fact, Trait("Category", "Fuzz")]
    public void Png_decoding_survives_mutations() =>
        Fuzz.Run(Limits with { Reader = "png" }, Seeds(".png"), bytes => Decode(ResealChunks(bytes)), Fuzz.Cases(300), seed: 2, output);

    /// <summary>A copy of <paramref name="png"/> with each complete chunk's CRC recomputed over its type and data.</summary>
    static byte[] ResealChunks(byte[] png)
    {
        var bytes = (byte[])png.Clone();
        for (long at = 8; at + 12 <= bytes.Length;)
        {
            long length = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan((int)at));
            if (at + 12 + length > bytes.Length) break;
            uint crc = Crc32.Iso.Compute(bytes.AsSpan((int)at + 4, (int)length + 4));
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan((int)(at + 8 + length)), crc);
            at += 12 + length;
        }
        return bytes;
    }
}
