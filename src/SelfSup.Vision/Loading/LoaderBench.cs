using System.Diagnostics;

namespace SelfSup.Vision;

/// <summary>Loader throughput: views produced per second while the consumer does nothing but take batches.</summary>
public static class LoaderBench
{
    /// <summary>Reads up to <paramref name="batches"/> batches of epoch 0 (after <paramref name="warmup"/> untimed ones)
    /// and returns views per second (samples × views / time).</summary>
    public static double ViewsPerSecond(MultiViewLoader loader, int batches, int warmup = 2)
    {
        long views = 0;
        int taken = 0;
        var clock = new Stopwatch();
        if (warmup == 0) clock.Start();
        foreach (var batch in loader.Epoch(0))
        {
            taken++;
            if (taken <= warmup) { if (taken == warmup) clock.Start(); continue; }
            views += (long)batch.Count * batch.Views.Length;
            if (taken == warmup + batches) break;
        }
        return views / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
    }
}
