using SelfSup.Engine;
using SelfSup.Engine.Backbones;
using SelfSup.Vision;
using SelfSup.Vision.Transforms;
using Xunit;

namespace SelfSup.Training.Tests;

/// <summary>The kNN monitor's features extracted in shards over the ranks of a data-parallel run (each rank a thread of
/// <see cref="ThreadRanks"/> here; the collectives themselves are tested on real processes): every rank gets the rows one
/// process extracts, in index order, for any split of N over W, including ranks left without images.</summary>
public class ShardedExtractionTests
{
    [Theory]
    [InlineData(37, 2)]
    [InlineData(37, 3)]
    [InlineData(2, 3)]                                                          // the third rank has no image
    public void Every_rank_gets_the_features_one_process_extracts(int images, int ranks)
    {
        var rng = new Generator(4);
        var pixels = new byte[images * 16 * 16];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)rng.NextInt(256);
        var labels = Enumerable.Range(0, images).Select(i => i % 3).ToArray();
        var data = new InMemoryDataset("noise", images, 16, 16, 1, pixels, labels, ["a", "b", "c"]);
        var eval = ViewParts.Eval(16, 1);
        ResNet Backbone() => new(new ResNet.Options(18, ResNetStem.Cifar, InChannels: 1, Width: 4, NumClasses: 0), new Generator(9));

        var (expected, expectedLabels) = Evaluation.Extract(Backbone(), data, eval, threads: 0, "one process");
        var results = ThreadRanks.Run(ranks, group => Evaluation.ExtractSharded(Backbone(), data, eval, 0, "shards", group));
        foreach (var (features, shardLabels) in results)
        {
            Assert.Equal(expected.Shape, features.Shape);
            Assert.Equal(expectedLabels, shardLabels);
            var difference = expected.ToArray().Zip(features.ToArray(), (a, b) => MathF.Abs(a - b)).Max();
            Assert.True(difference <= 1e-6f, $"features differ by {difference}");
        }
    }
}

/// <summary>W ranks as threads of one process, meeting at a barrier for each collective (for tests of code that takes an
/// <see cref="IProcessGroup"/>).</summary>
sealed class ThreadRanks : IProcessGroup
{
    readonly Shared shared;
    public int Rank { get; }
    public int Size => shared.Size;

    sealed class Shared(int size)
    {
        public int Size => size;
        public readonly Barrier Barrier = new(size);
        public readonly object[] Slots = new object[size];
    }

    ThreadRanks(Shared shared, int rank) { this.shared = shared; Rank = rank; }

    /// <summary>Runs <paramref name="body"/> on <paramref name="size"/> threads, one per rank; returns their results by rank.</summary>
    public static T[] Run<T>(int size, Func<IProcessGroup, T> body)
    {
        var shared = new Shared(size);
        var results = new T[size];
        var threads = Enumerable.Range(0, size).Select(r => new Thread(() => results[r] = body(new ThreadRanks(shared, r)))).ToArray();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join();
        return results;
    }

    T[] Exchange<T>(T[] mine)
    {
        shared.Slots[Rank] = mine;
        shared.Barrier.SignalAndWait();
        var all = shared.Slots.Select(s => (T[])s).ToArray().SelectMany(a => a).ToArray();
        shared.Barrier.SignalAndWait();                                         // nobody overwrites a slot still being read
        return all;
    }

    public void AllReduceSum(Span<double> values)
    {
        var all = Exchange(values.ToArray());
        for (int i = 0; i < values.Length; i++) { double sum = 0; for (int r = 0; r < Size; r++) sum += all[r * values.Length + i]; values[i] = sum; }
    }

    public void AllReduceSum(Span<float> values)
    {
        var all = Exchange(values.ToArray());
        for (int i = 0; i < values.Length; i++) { float sum = 0; for (int r = 0; r < Size; r++) sum += all[r * values.Length + i]; values[i] = sum; }
    }

    public void AllGather(ReadOnlySpan<float> mine, Span<float> all) => Exchange(mine.ToArray()).CopyTo(all);
}
