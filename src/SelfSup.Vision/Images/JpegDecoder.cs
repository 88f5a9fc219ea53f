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
    /// <param name="minSide">0: full size. Otherwise the image may be decoded at a reduced scale n/8 (libjpeg-turbo's
    /// DCT scaling, what PIL's draft mode uses), the smallest whose shorter side is still at least
    /// <paramref name="minSide"/>: a 100-megapixel photo for 224-px views then costs a few megabytes, not 300.</param>
    /// <param name="maxPixels">Images whose header claims more pixels are refused before any pixel memory is allocated.</param>
    public static RawImage Decode(ReadOnlySpan<byte> jpeg, string name, int minSide = 0, long maxPixels = ImageLimits.DefaultMaxPixels)
    {
        var structure = JpegMarkers.Scan(jpeg);
        if (structure.Truncated)
            throw new InvalidDataException($"{name}: truncated JPEG (the data ends before the end-of-image marker)");

        nint tj = TurboJpegNative.CreateDecompressor();                 // fresh per image: no state carried over
        try
        {
            return DecodeWith(tj, jpeg, structure, name, minSide, maxPixels);
        }
        finally { TurboJpegNative.tjDestroy(tj); }
    }

    /// <summary>The size and channels <see cref="Decode"/> (at full scale) would give, from the header alone.</summary>
    public static ImageShape ReadShape(ReadOnlySpan<byte> jpeg, string name, long maxPixels = ImageLimits.DefaultMaxPixels)
    {
        var structure = JpegMarkers.Scan(jpeg);
        nint tj = TurboJpegNative.CreateDecompressor();
        try
        {
            var (width, height, colorspace) = ReadHeader(tj, jpeg, name, maxPixels);
            int channels = colorspace == TurboJpegNative.ColorspaceGray ? 1 : 3;
            return ExifOrientation.SwapsSides(structure.Orientation) ? new(height, width, channels) : new(width, height, channels);
        }
        finally { TurboJpegNative.tjDestroy(tj); }
    }

    static (int Width, int Height, int Colorspace) ReadHeader(nint tj, ReadOnlySpan<byte> jpeg, string name, long maxPixels)
    {
        fixed (byte* src = jpeg)
        {
            if (TurboJpegNative.tjDecompressHeader3(tj, src, (nuint)jpeg.Length,
                    out int width, out int height, out _, out int colorspace) != 0)
                throw Failure(tj, name, "bad JPEG header");
            ImageLimits.Check(name, "JPEG", width, height, maxPixels);
            return (width, height, colorspace);
        }
    }

    static RawImage DecodeWith(nint tj, ReadOnlySpan<byte> jpeg, JpegMarkers.Structure structure, string name, int minSide, long maxPixels)
    {
        var (width, height, colorspace) = ReadHeader(tj, jpeg, name, maxPixels);
        fixed (byte* src = jpeg)
        {
            long blocks = (width + 7L) / 8 * ((height + 7L) / 8);
            if (structure.HuffmanCoded && jpeg.Length * 8L * 2 < blocks)      // a factor 2 of slack over 1 bit/block
                throw new InvalidDataException(
                    $"{name}: JPEG of {jpeg.Length} bytes is too small to hold {width}×{height} pixels (truncated or corrupt)");

            (width, height) = ScaledSize(width, height, minSide);            // tjDecompress2 picks the scale from these
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

    /// <summary>The size of the smallest n/8 scaling (n = 1…8) whose shorter side is at least <paramref name="minSide"/>,
    /// rounded up as libjpeg's TJSCALED does; the full size when <paramref name="minSide"/> is 0 or no smaller scale fits.</summary>
    internal static (int Width, int Height) ScaledSize(int width, int height, int minSide)
    {
        if (minSide <= 0) return (width, height);
        for (int n = 1; n < 8; n++)
        {
            int w = (width * n + 7) / 8, h = (height * n + 7) / 8;
            if (Math.Min(w, h) >= minSide) return (w, h);
        }
        return (width, height);
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
