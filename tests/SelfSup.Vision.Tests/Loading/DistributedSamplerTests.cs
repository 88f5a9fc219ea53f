using Xunit;

namespace SelfSup.Vision.Tests.Loading;

/// <summary>The loader as a distributed sampler: with W ranks of batch B, rank r's batch b is the r-th slice of the
/// one-process loader's batch b of W·B (same indices, same views), so W ranks see together what one process sees.</summary>
public class DistributedSamplerTests
{
    static readonly MultiView Views = new([new CropFlip(4), new CropFlip(3)]);

    [Theory]
    [InlineData(2, 4, true)]
    [InlineData(3, 3, true)]
    [InlineData(2, 5, false)]
    public void Rank_slices_of_each_global_batch_equal_the_single_process_batch(int world, int batch, bool dropLast)
    {
        var data = LoaderFixtures.Gradients(37);
        using var whole = new MultiViewLoader(data, Views, new LoaderOptions(world * batch, Seed: 7, Threads: 0, DropLast: dropLast));
        var ranks = Enumerable.Range(0, world)
            .Select(r => new MultiViewLoader(data, Views, new LoaderOptions(batch, Seed: 7, Threads: 2, DropLast: dropLast, Rank: r, WorldSize: world)))
            .ToArray();
        try
        {
            foreach (var loader in ranks) Assert.Equal(whole.BatchesPerEpoch, loader.BatchesPerEpoch);
            var perRank = ranks.Select(l => l.Epoch(1).ToArray()).ToArray();
            var reference = whole.Epoch(1).ToArray();
            for (int b = 0; b < reference.Length; b++)
            {
                var slices = perRank.Select(batches => batches[b]).ToArray();
                Assert.Equal(reference[b].Indices, slices.SelectMany(s => s.Indices));
                for (int v = 0; v < Views.Views.Count; v++)
                    Assert.Equal(reference[b][v].ToArray(), slices.SelectMany(s => s[v].ToArray()));
            }
        }
        finally { foreach (var loader in ranks) loader.Dispose(); }
    }

    [Fact]
    public void Ranks_take_disjoint_shards_and_a_job_larger_than_the_data_is_refused()
    {
        var data = LoaderFixtures.Gradients(37);
        var seen = new List<int>();
        for (int r = 0; r < 2; r++)
        {
            using var loader = new MultiViewLoader(data, Views, new LoaderOptions(6, Seed: 3, Threads: 0, Rank: r, WorldSize: 2));
            foreach (var b in loader.Epoch(0)) seen.AddRange(b.Indices);
        }
        Assert.Equal(36, seen.Count);                                           // 3 global batches of 12; the 1-image tail dropped
        Assert.Equal(seen.Count, seen.Distinct().Count());
        var e = Assert.Throws<ArgumentException>(() => new MultiViewLoader(data, Views, new LoaderOptions(20, Rank: 0, WorldSize: 2)));
        Assert.Contains("fewer than one batch of 40 (2 ranks × 20)", e.Message);
        Assert.Throws<ArgumentException>(() => new MultiViewLoader(data, Views, new LoaderOptions(4, Rank: 2, WorldSize: 2)));
    }
}
