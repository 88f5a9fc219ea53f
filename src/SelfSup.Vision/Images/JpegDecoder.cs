namespace SelfSup.Vision;

/// <summary>
/// JPEG decoding through libjpeg-turbo's TurboJPEG API (baseline, progressive, arithmetic; any chroma
/// subsampling), with the accurate integer DCT and fancy upsampling, so pixels equal PIL's on Debian.
/// Greyscale files give 1 channel; YCbCr and RGB give 3; CMYK/YCCK are converted to RGB as PIL does
/// (Adobe-inverted CMYK: R = C·K/255 on the stored samples). The EXIF orientation is applied.
/// Truncated files (no EOI marker) are errors, as in PIL; libjpeg's recoverable warnings are not.
/// Before allocating, the header's size is checked against <see cref="ImageLimits"/> and against the file
/// length (Huffman coding spends at least a bit per 8×8 block), so a tiny file cannot claim a huge image.
/// </summary>
public static unsafe class JpegDecoder
{
    /// <summary>Decodes a JPEG; failures are <see cref="InvalidDataException"/>s starting with <paramref name="name"/>.</summary>
    public static RawImage Decode(ReadOnlySpan<byte> jpeg, string name)
    {
        var structure = JpegMarkers.Scan(jpeg);
        if (structure.Truncated)
            throw new InvalidDataException($"{name}: truncated JPEG (the data ends before the end-of-image marker)");

        nint tj = TurboJpegNative.CreateDecompressor();                 // fresh per image: no state carried over
        try
        {
            return Decode(tj, jpeg, structure, name);
        }
        finally { TurboJpegNative.tjDestroy(tj); }
    }

    static RawImage Decode(nint tj, ReadOnlySpan<byte> jpeg, JpegMarkers.Structure structure, string name)
    {
        fixed (byte* src = jpeg)
        {
            if (TurboJpegNative.tjDecompressHeader3(tj, src, (nuint)jpeg.Length,
                    out int width, out int height, out _, out int colorspace) != 0)
                throw Failure(tj, name, "bad JPEG header");
            ImageLimits.Check(name, "JPEG", width, height);
            long blocks = (width + 7L) / 8 * ((height + 7L) / 8);
            if (structure.HuffmanCoded && jpeg.Length * 8L * 2 < blocks)      // a factor 2 of slack over 1 bit/block
                throw new InvalidDataException(
                    $"{name}: JPEG of {jpeg.Length} bytes is too small to hold {width}×{height} pixels (truncated or corrupt)");

            bool gray = colorspace == TurboJpegNative.ColorspaceGray;
            bool cmyk = colorspace is TurboJpegNative.ColorspaceCmyk or TurboJpegNative.ColorspaceYcck;
            int channels = gray ? 1 : cmyk ? 4 : 3;
            int format = gray ? TurboJpegNative.PixelFormatGray : cmyk ? TurboJpegNative.PixelFormatCmyk : TurboJpegNative.PixelFormatRgb;
            // Zeroed, not uninitialised: after a recoverable error (corrupt entropy data) libjpeg may leave rows unwritten,
            // and those must read the same on every decode, not whatever the heap held.
            var pixels = new byte[width * height * channels];
            fixed (byte* dst = pixels)
            {
                if (TurboJpegNative.tjDecompress2(tj, src, (nuint)jpeg.Length, dst, width, width * channels, height,
                        format, TurboJpegNative.FlagLimitScans) != 0
                    && TurboJpegNative.tjGetErrorCode(tj) == TurboJpegNative.ErrorFatal)
                    throw Failure(tj, name, "corrupt JPEG");
            }
            var image = cmyk ? CmykToRgb(pixels, width, height) : new RawImage(width, height, channels, pixels);
            return ExifOrientation.Apply(image, structure.Orientation);
        }
    }

    static InvalidDataException Failure(nint tj, string name, string what) =>
        new($"{name}: {what} ({TurboJpegNative.ErrorText(tj)})");

    /// <summary>PIL's reading of CMYK JPEGs: samples are Adobe-inverted, so R = muldiv255(C, K), etc.</summary>
    static RawImage CmykToRgb(byte[] cmyk, int width, int height)
    {
        var rgb = GC.AllocateUninitializedArray<byte>(width * height * 3);
        for (int i = 0, o = 0; i < cmyk.Length; i += 4, o += 3)
        {
            int k = cmyk[i + 3];
            rgb[o] = MulDiv255(cmyk[i], k);
            rgb[o + 1] = MulDiv255(cmyk[i + 1], k);
            rgb[o + 2] = MulDiv255(cmyk[i + 2], k);
        }
        return new RawImage(width, height, 3, rgb);
    }

    static byte MulDiv255(int a, int b)
    {
        int t = a * b + 128;
        return (byte)(((t >> 8) + t) >> 8);
    }
}
