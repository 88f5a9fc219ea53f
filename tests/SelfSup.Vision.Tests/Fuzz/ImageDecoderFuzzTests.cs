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

    [Fact, Trait("Category", "Fuzz")]
    public void Png_decoding_survives_mutations() =>
        Fuzz.Run(Limits with { Reader = "png" }, Seeds(".png"), Decode, Fuzz.Cases(300), seed: 2, output);
}
