using System.Buffers.Binary;

namespace SelfSup.Vision;

/// <summary>
/// Turns unfiltered PNG scanlines into 8-bit grey or RGB pixels: unpacks 1/2/4-bit samples (scaled to
/// 0–255), keeps the high byte of 16-bit ones, looks up palettes, and applies alpha or tRNS.
/// </summary>
internal sealed class PngRows
{
    readonly PngHeader h;
    readonly bool composite;
    readonly byte[] paletteRgb = new byte[256 * 3];     // premultiplied by tRNS alpha when compositing
    readonly int transparentGray = -1;                  // tRNS colour at full bit depth, −1 when none
    readonly int transparentR = -1, transparentG = -1, transparentB = -1;

    public PngRows(PngHeader header, ReadOnlySpan<byte> palette, ReadOnlySpan<byte> trns, AlphaHandling alpha, string name)
    {
        h = header;
        composite = alpha == AlphaHandling.CompositeOnBlack;
        if (h.ColourType == PngHeader.Palette)
        {
            // Indices past the palette read as black; PLTE entries past the tRNS table are opaque.
            palette.CopyTo(paletteRgb);
            for (int i = 0; composite && i < Math.Min(trns.Length, 256); i++)
                for (int c = 0; c < 3; c++) paletteRgb[3 * i + c] = Premultiply(paletteRgb[3 * i + c], trns[i]);
        }
        else if (composite && h.ColourType == PngHeader.Gray && !trns.IsEmpty)
        {
            if (trns.Length != 2) throw new InvalidDataException($"{name}: corrupt PNG (tRNS of {trns.Length} bytes for a grey image)");
            transparentGray = BinaryPrimitives.ReadUInt16BigEndian(trns);
        }
        else if (composite && h.ColourType == PngHeader.Rgb && !trns.IsEmpty)
        {
            if (trns.Length != 6) throw new InvalidDataException($"{name}: corrupt PNG (tRNS of {trns.Length} bytes for an RGB image)");
            transparentR = BinaryPrimitives.ReadUInt16BigEndian(trns);
            transparentG = BinaryPrimitives.ReadUInt16BigEndian(trns[2..]);
            transparentB = BinaryPrimitives.ReadUInt16BigEndian(trns[4..]);
        }
    }

    /// <summary>round(c·a/255) for 8-bit c and a.</summary>
    static byte Premultiply(int c, int a) => (byte)((c * a + 127) / 255);

    /// <summary>Undoes one of the five PNG filters (spec §9.2) in place; <paramref name="previous"/> is the
    /// unfiltered row above (zeros for a pass's first row); <paramref name="bpp"/> the filter unit.</summary>
    public static void Unfilter(int type, Span<byte> row, ReadOnlySpan<byte> previous, int bpp)
    {
        int n = row.Length;
        switch (type)
        {
            case 1:                                                   // Sub: + left
                for (int i = bpp; i < n; i++) row[i] += row[i - bpp];
                break;
            case 2:                                                   // Up: + above
                for (int i = 0; i < n; i++) row[i] += previous[i];
                break;
            case 3:                                                   // Average: + floor((left + above) / 2)
                for (int i = 0; i < bpp; i++) row[i] += (byte)(previous[i] >> 1);
                for (int i = bpp; i < n; i++) row[i] += (byte)((row[i - bpp] + previous[i]) >> 1);
                break;
            case 4:                                                   // Paeth: + the nearest of left, above, upper-left
                for (int i = 0; i < bpp; i++) row[i] += previous[i];
                for (int i = bpp; i < n; i++) row[i] += Paeth(row[i - bpp], previous[i], previous[i - bpp]);
                break;
        }
    }

    /// <summary>The Paeth predictor (spec §9.4): whichever of a, b, c is closest to a + b − c, ties a, b, c.</summary>
    public static byte Paeth(byte a, byte b, byte c)
    {
        int pa = Math.Abs(b - c), pb = Math.Abs(a - c), pc = Math.Abs(a + b - 2 * c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    /// <summary>Writes the <paramref name="count"/> pixels of one unfiltered row to image row
    /// <paramref name="y"/>, columns x0, x0 + dx, …</summary>
    public void Emit(ReadOnlySpan<byte> row, int count, byte[] pixels, int y, int x0, int dx)
    {
        int channels = h.OutputChannels, depth = h.BitDepth;
        int o = (y * h.Width + x0) * channels, step = dx * channels;
        switch (h.ColourType)
        {
            case PngHeader.Gray when depth == 8 && dx == 1 && transparentGray < 0:
                row[..count].CopyTo(pixels.AsSpan(o));
                break;
            case PngHeader.Rgb when depth == 8 && dx == 1 && transparentR < 0:
                row[..(count * 3)].CopyTo(pixels.AsSpan(o));
                break;
            case PngHeader.Gray:
                for (int i = 0; i < count; i++, o += step)
                {
                    int s = Sample(row, i, depth);
                    pixels[o] = s == transparentGray ? (byte)0 : Scale(s, depth);
                }
                break;
            case PngHeader.Palette:
                for (int i = 0; i < count; i++, o += step)
                {
                    int p = 3 * Sample(row, i, depth);
                    pixels[o] = paletteRgb[p]; pixels[o + 1] = paletteRgb[p + 1]; pixels[o + 2] = paletteRgb[p + 2];
                }
                break;
            case PngHeader.Rgb:
                for (int i = 0; i < count; i++, o += step)
                {
                    int r = Sample(row, 3 * i, depth), g = Sample(row, 3 * i + 1, depth), b = Sample(row, 3 * i + 2, depth);
                    bool clear = r == transparentR && g == transparentG && b == transparentB;
                    pixels[o] = clear ? (byte)0 : Scale(r, depth);
                    pixels[o + 1] = clear ? (byte)0 : Scale(g, depth);
                    pixels[o + 2] = clear ? (byte)0 : Scale(b, depth);
                }
                break;
            default:                                                  // grey+alpha, RGBA: 8 or 16 bits
                int samples = h.SamplesPerPixel, size = depth / 8;
                for (int i = 0; i < count; i++, o += step)
                {
                    int at = i * samples * size;
                    int a = composite ? row[at + (samples - 1) * size] : 255;
                    for (int c = 0; c < channels; c++) pixels[o + c] = Premultiply(row[at + c * size], a);
                }
                break;
        }
    }

    /// <summary>Sample <paramref name="index"/> of a row packed at <paramref name="depth"/> bits (16: big-endian).</summary>
    static int Sample(ReadOnlySpan<byte> row, int index, int depth) => depth switch
    {
        8 => row[index],
        16 => (row[2 * index] << 8) | row[2 * index + 1],
        _ => (row[index * depth >> 3] >> (8 - depth - (index * depth & 7))) & ((1 << depth) - 1),
    };

    /// <summary>A sample at <paramref name="depth"/> bits as 0–255: low depths scaled by 255/(2^d − 1), 16 bits' high byte.</summary>
    static byte Scale(int sample, int depth) => depth switch
    {
        8 => (byte)sample,
        16 => (byte)(sample >> 8),
        1 => (byte)(sample * 255),
        2 => (byte)(sample * 85),
        _ => (byte)(sample * 17),
    };
}
