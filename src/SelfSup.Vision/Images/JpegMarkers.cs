using System.Buffers.Binary;

namespace SelfSup.Vision;

/// <summary>
/// A bounds-checked walk over a JPEG's marker segments, without decoding: finds the EXIF orientation
/// (APP1 "Exif", tag 0x0112 of IFD0) and whether the file reaches its end-of-image marker.
/// Malformed structure is left for libjpeg to judge; this walk never throws and never reads out of range.
/// </summary>
internal static class JpegMarkers
{
    /// <summary>What the walk found: EXIF orientation (1–8, 1 when absent), whether the data stops before EOI,
    /// and the first start-of-frame marker (0xC0–0xCF but not C4/C8/CC; 0 when none).</summary>
    public readonly record struct Structure(int Orientation, bool Truncated, int FrameMarker)
    {
        /// <summary>Huffman-coded frames (baseline, extended, progressive, lossless) need at least one bit per
        /// 8×8 block of the full-resolution component; arithmetic coding has no such floor.</summary>
        public bool HuffmanCoded => FrameMarker is 0xC0 or 0xC1 or 0xC2 or 0xC3 or 0xC5 or 0xC6 or 0xC7;
    }

    public static Structure Scan(ReadOnlySpan<byte> d)
    {
        var s = Walk(d, out int orientation, out int frame);
        return s with { Orientation = Math.Max(orientation, 1), FrameMarker = frame };
    }

    static Structure Walk(ReadOnlySpan<byte> d, out int orientation, out int frame)
    {
        orientation = 0; frame = 0;
        int pos = 2;                                        // after SOI
        while (true)
        {
            int ff = d[pos..].IndexOf((byte)0xFF);          // skips extraneous bytes as libjpeg does
            if (ff < 0) return new(0, true, 0);
            pos += ff;
            while (pos < d.Length && d[pos] == 0xFF) pos++; // fill bytes
            if (pos >= d.Length) return new(0, true, 0);
            byte marker = d[pos++];
            if (marker == 0xD9) return new(0, false, 0);            // EOI
            if (marker is 0x00 or 0x01 or 0xD8 or (>= 0xD0 and <= 0xD7)) continue;     // no length field
            if (pos + 2 > d.Length) return new(0, true, 0);
            int length = BinaryPrimitives.ReadUInt16BigEndian(d[pos..]);
            if (length < 2) return new(0, false, 0);               // corrupt: libjpeg decides
            if (pos + length > d.Length) return new(0, true, 0);
            if (frame == 0 && marker is >= 0xC0 and <= 0xCF and not (0xC4 or 0xC8 or 0xCC)) frame = marker;
            if (marker == 0xE1 && orientation == 0) orientation = ExifOrientationTag(d.Slice(pos + 2, length - 2));
            pos += length;
            if (marker == 0xDA && !SkipEntropyData(d, ref pos)) return new(0, true, 0);
        }
    }

    /// <summary>Moves past entropy-coded data to the next real marker (not FF00 stuffing, not RSTn).</summary>
    static bool SkipEntropyData(ReadOnlySpan<byte> d, ref int pos)
    {
        while (true)
        {
            int ff = d[pos..].IndexOf((byte)0xFF);
            if (ff < 0 || pos + ff + 1 >= d.Length) return false;
            pos += ff;
            byte next = d[pos + 1];
            if (next == 0x00 || next is >= 0xD0 and <= 0xD7) pos += 2;
            else if (next == 0xFF) pos += 1;
            else return true;
        }
    }

    /// <summary>Orientation 1–8 from an APP1 payload, 0 when it is not Exif or holds no valid tag.</summary>
    internal static int ExifOrientationTag(ReadOnlySpan<byte> app1)
    {
        if (app1.Length < 6 + 8 || !app1.StartsWith("Exif\0\0"u8)) return 0;
        var tiff = app1[6..];
        bool little;
        if (tiff[0] == 'I' && tiff[1] == 'I') little = true;
        else if (tiff[0] == 'M' && tiff[1] == 'M') little = false;
        else return 0;
        uint ifd = U32(tiff[4..], little);
        if (ifd > (uint)tiff.Length - 2) return 0;
        int count = U16(tiff[(int)ifd..], little);
        for (int i = 0; i < count; i++)
        {
            long entry = ifd + 2 + 12L * i;
            if (entry + 12 > tiff.Length) return 0;
            var e = tiff.Slice((int)entry, 12);
            if (U16(e, little) != 0x0112) continue;
            int type = U16(e[2..], little);
            int value = type == 3 ? U16(e[8..], little) : type == 4 ? (int)Math.Min(U32(e[8..], little), 9u) : 0;
            return value is >= 1 and <= 8 ? value : 0;
        }
        return 0;
    }

    static int U16(ReadOnlySpan<byte> s, bool little) =>
        little ? BinaryPrimitives.ReadUInt16LittleEndian(s) : BinaryPrimitives.ReadUInt16BigEndian(s);

    static uint U32(ReadOnlySpan<byte> s, bool little) =>
        little ? BinaryPrimitives.ReadUInt32LittleEndian(s) : BinaryPrimitives.ReadUInt32BigEndian(s);
}
