using Xunit;
using Xunit.Abstractions;

namespace SelfSup.Vision.Tests.Loading;

/// <summary>Views/s of the loader on Fashion-MNIST (two 24×24 crop-flip views). Runs only with SELFSUP_LOADER_BENCH=1,
/// as it takes several seconds on a shared machine.</summary>
public class LoaderThroughputTests(ITestOutputHelper output)
{
    [Fact]
    public void Loader_views_per_second_on_Fashion_MNIST()
    {
        if (Environment.GetEnvironmentVariable("SELFSUP_LOADER_BENCH") != "1" || !Directory.Exists(MnistIdx.FashionMnistDirectory))
        {
            output.WriteLine("SKIPPED: set SELFSUP_LOADER_BENCH=1 (needs /usr/share/datasets/fashion-mnist)");
            return;
        }
        var train = DataSpec.Parse("fashion-mnist").Train;
        foreach (int threads in new[] { 1, 2, 1, 2 })
        {
            using var loader = new MultiViewLoader(train, MultiView.Twice(new CropFlip(24)), new LoaderOptions(256, Seed: 1, threads));
            double rate = LoaderBench.ViewsPerSecond(loader, batches: 150, warmup: 30);
            output.WriteLine($"{threads} thread(s): {rate:F0} views/s");
            Assert.True(rate > 1000, $"{rate} views/s");
        }
    }
}
