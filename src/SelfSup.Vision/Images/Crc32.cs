namespace SelfSup.Vision;

/// <summary>
/// Table-driven reflected CRC-32 for a given polynomial: <see cref="Iso"/> (ISO 3309 / ITU-T V.42, 0xEDB88320), as
/// PNG chunks use it, and <see cref="Castagnoli"/> (CRC-32C, 0x82F63B78), as TFRecord files use it.
/// </summary>
public sealed class Crc32
{
    /// <summary>CRC-32 of PNG and zlib ("123456789" → 0xCBF43926).</summary>
    public static Crc32 Iso { get; } = new(0xEDB88320u);
    /// <summary>CRC-32C ("123456789" → 0xE3069283).</summary>
    public static Crc32 Castagnoli { get; } = new(0x82F63B78u);

    readonly uint[] table = new uint[256];

    /// <param name="reflectedPolynomial">The generator polynomial, bit-reversed (LSB-first).</param>
    public Crc32(uint reflectedPolynomial)
    {
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? reflectedPolynomial ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
    }

    /// <summary>Continues a running CRC (start from 0) over <paramref name="data"/>.</summary>
    public uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        uint c = ~crc;
        foreach (byte b in data) c = table[(c ^ b) & 0xFF] ^ (c >> 8);
        return ~c;
    }

    public uint Compute(ReadOnlySpan<byte> data) => Append(0, data);
}
