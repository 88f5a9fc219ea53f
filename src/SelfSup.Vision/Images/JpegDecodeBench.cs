using System.Diagnostics;

namespace SelfSup.Vision;

/// <summary>
/// A decode-throughput measurement a benchmark can call: images/s on one thread.
/// For photos the result depends on the host's GC settings more than on libjpeg-turbo: each decoded
/// 500×375 image is a 560 KB array on the large-object heap, whose budget triggers frequent gen-2
/// collections that hand memory back to the OS, and refaulting it costs ~4× the decode itself.
/// With <c>System.GC.LOHThreshold</c> above the image size (e.g. DOTNET_GCLOHThreshold=0x400000)
/// decoding runs at libjpeg-turbo's own speed. (PIL has the same effect through glibc's heap trimming.)
/// </summary>
public static class JpegDecodeBench
{
    /// <summary>Decodes <paramref name="jpeg"/> repeatedly for about <paramref name="seconds"/> (after a short
    /// warm-up) through <see cref="ImageDecoder.Decode"/>, and returns images decoded per second.</summary>
    public static double ImagesPerSecond(byte[] jpeg, double seconds = 1.0)
    {
        for (int i = 0; i < 20; i++) ImageDecoder.Decode(jpeg, "bench.jpg");
        long count = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            for (int i = 0; i < 16; i++) ImageDecoder.Decode(jpeg, "bench.jpg");
            count += 16;
        }
        return count / clock.Elapsed.TotalSeconds;
    }
}
