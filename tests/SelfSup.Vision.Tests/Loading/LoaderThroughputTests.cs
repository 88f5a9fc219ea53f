using System.Diagnostics;
using Xunit;
using Xunit.Abstractions;

namespace SelfSup.Vision.Tests.Loading;

/// <summary>Views/s of the loader on Fashion-MNIST (two 24×24 crop-flip views). A measurement, not a check of behaviour:
/// it is in the opt-in Slow category (`dotnet test --filter Category=Slow`), which CI's scripts/test.sh leaves out.</summary>
public class LoaderThroughputTests(ITestOutputHelper output)
{
    [Fact, Trait("Category", "Slow")]
    public void Loader_views_per_second_on_Fashion_MNIST()
    {
        var train = DataSpec.Parse("fashion-mnist").Train;
        foreach (int threads in new[] { 1, 2, 1, 2 })
        {
            using var loader = new MultiViewLoader(train, MultiView.Twice(new CropFlip(24)), new LoaderOptions(256, Seed: 1, threads));
            double rate = ViewsPerSecond(loader, batches: 150, warmup: 30);
            output.WriteLine($"{threads} thread(s): {rate:F0} views/s");
            Assert.True(rate > 1000, $"{rate} views/s");
        }
    }

    /// <summary>Reads up to <paramref name="batches"/> batches of epoch 0 (after <paramref name="warmup"/> untimed ones)
    /// and returns views per second (samples × views / time).</summary>
    static double ViewsPerSecond(MultiViewLoader loader, int batches, int warmup)
    {
        long views = 0;
        int taken = 0;
        var clock = new Stopwatch();
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
