using System.Runtime.InteropServices;

namespace SelfSup.Vision;

/// <summary>
/// P/Invoke into the TurboJPEG API of libjpeg-turbo (Debian package libturbojpeg0, libturbojpeg.so.0).
/// <c>unsigned long</c> is 64-bit on Linux x64, hence <see cref="nuint"/> sizes.
/// </summary>
internal static unsafe partial class TurboJpegNative
{
    const string Library = "libturbojpeg.so.0";

    public const int PixelFormatRgb = 0, PixelFormatGray = 6, PixelFormatCmyk = 11;     // TJPF_*
    public const int ColorspaceGray = 2, ColorspaceCmyk = 3, ColorspaceYcck = 4;        // TJCS_*
    public const int FlagLimitScans = 32768;       // TJFLAG_LIMITSCANS: refuse progressive files with > 500 scans
    public const int ErrorFatal = 1;               // TJERR_FATAL (TJERR_WARNING = 0)

    [LibraryImport(Library)] public static partial nint tjInitDecompress();
    [LibraryImport(Library)] public static partial int tjDestroy(nint handle);

    [LibraryImport(Library)]
    public static partial int tjDecompressHeader3(nint handle, byte* jpeg, nuint size,
        out int width, out int height, out int subsampling, out int colorspace);

    [LibraryImport(Library)]
    public static partial int tjDecompress2(nint handle, byte* jpeg, nuint size, byte* destination,
        int width, int pitch, int height, int pixelFormat, int flags);

    [LibraryImport(Library)] public static partial nint tjGetErrorStr2(nint handle);
    [LibraryImport(Library)] public static partial int tjGetErrorCode(nint handle);

    public static string ErrorText(nint handle) => Marshal.PtrToStringUTF8(tjGetErrorStr2(handle)) ?? "unknown error";

    /// <summary>A new decompressor. One per image: libjpeg keeps a decoded file's quantisation and Huffman tables in
    /// its decompress object for later "abbreviated" streams, so a reused handle would decode a file that lacks its
    /// own tables (a flipped DQT marker) with the previous image's, and the result would depend on what the thread
    /// decoded before. Creating one costs under a microsecond: decoding the 9×7–40×24 test fixtures ran at
    /// 120 000–350 000 images/s on one thread with a reused handle and with a fresh one alike (within noise).</summary>
    public static nint CreateDecompressor()
    {
        nint handle;
        try { handle = tjInitDecompress(); }
        catch (DllNotFoundException e)
        {
            throw new DllNotFoundException("libturbojpeg0 is not installed (apt-get install libturbojpeg0)", e);
        }
        if (handle == 0) throw new InvalidOperationException("tjInitDecompress failed: " + ErrorText(0));
        return handle;
    }
}
