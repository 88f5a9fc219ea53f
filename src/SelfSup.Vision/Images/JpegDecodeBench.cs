using System.Diagnostics;

namespace SelfSup.Vision;

/// <summary>A decode-throughput measurement a benchmark can call: images/s on one thread.</summary>
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
