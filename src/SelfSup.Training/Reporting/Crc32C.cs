using SelfSup.Vision;

namespace SelfSup.Training;

/// <summary>
/// CRC-32C (<see cref="Crc32.Castagnoli"/>) and the "masked" form TFRecord files store (TensorFlow's crc32c::Mask:
/// rotate right by 15, add 0xa282ead8) so that a CRC of data containing CRCs stays well mixed.
/// </summary>
public static class Crc32C
{
    /// <summary>The CRC-32C of <paramref name="data"/> ("123456789" → 0xE3069283).</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Crc32.Castagnoli.Compute(data);

    /// <summary>TFRecord's masked CRC: ((crc &gt;&gt; 15) | (crc &lt;&lt; 17)) + 0xa282ead8.</summary>
    public static uint Mask(uint crc) => unchecked(((crc >> 15) | (crc << 17)) + 0xa282ead8u);

    /// <summary>The masked CRC-32C of <paramref name="data"/>.</summary>
    public static uint Masked(ReadOnlySpan<byte> data) => Mask(Compute(data));
}
