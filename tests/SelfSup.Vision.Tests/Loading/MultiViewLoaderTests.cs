using SelfSup.Engine;
using Xunit;

namespace SelfSup.Vision.Tests.Loading;

public class MultiViewLoaderTests
{
    static readonly MultiView TwoSizes = new([new CropFlip(4), new CropFlip(3)]);

    static List<ViewBatch> ReadEpoch(MultiViewLoader loader, int epoch) => [.. loader.Epoch(epoch)];

    [Fact]
    public void Batches_hold_V_views_of_shape_B_C_H_W_with_indices_and_labels()
    {
        using var loader = new MultiViewLoader(LoaderFixtures.Gradients(), TwoSizes, new LoaderOptions(8, Seed: 1));
        var batches = ReadEpoch(loader, 0);
        Assert.Equal(4, loader.BatchesPerEpoch);            // 37 / 8, last partial batch dropped
        Assert.Equal(4, batches.Count);
        foreach (var b in batches)
        {
            Assert.Equal([8, 1, 4, 4], b[0].Shape);
            Assert.Equal([8, 1, 3, 3], b[1].Shape);
            Assert.Equal([8], b.Labels.Shape);
            Assert.Equal(b.Indices.Select(i => i % 5), b.Labels.Data);
        }
    }

    [Fact]
    public void Each_sample_appears_once_per_epoch_and_drop_last_leaves_out_the_tail()
    {
        var data = LoaderFixtures.Gradients();
        using var dropping = new MultiViewLoader(data, TwoSizes, new LoaderOptions(8, Seed: 1));
        var seen = ReadEpoch(dropping, 2).SelectMany(b => b.Indices).ToArray();
        Assert.Equal(32, seen.Distinct().Count());
        Assert.Equal(dropping.Order(2)[..32], seen);

        using var keeping = new MultiViewLoader(data, TwoSizes, new LoaderOptions(8, Seed: 1, DropLast: false));
        var batches = ReadEpoch(keeping, 2);
        Assert.Equal(5, batches.Count);
        Assert.Equal(5, batches[^1].Count);
        Assert.Equal([5, 1, 4, 4], batches[^1][0].Shape);
        Assert.Equal(Enumerable.Range(0, 37), batches.SelectMany(b => b.Indices).Order());
    }

    [Fact]
    public void Order_changes_with_epoch_and_seed_but_not_otherwise()
    {
        var data = LoaderFixtures.Gradients();
        using var a = new MultiViewLoader(data, TwoSizes, new LoaderOptions(8, Seed: 1));
        using var b = new MultiViewLoader(data, TwoSizes, new LoaderOptions(8, Seed: 2));
        Assert.Equal(a.Order(0), a.Order(0));
        Assert.NotEqual(a.Order(0), a.Order(1));
        Assert.NotEqual(a.Order(0), b.Order(0));
        Assert.NotEqual(Enumerable.Range(0, 37), a.Order(0));
    }

    [Fact]
    public void Same_seed_gives_identical_batches_for_0_1_2_and_4_threads()
    {
        var data = LoaderFixtures.Gradients(61);
        float[][] Run(int threads, int prefetch)
        {
            using var loader = new MultiViewLoader(data, TwoSizes, new LoaderOptions(5, Seed: 42, threads, prefetch, DropLast: false));
            return ReadEpoch(loader, 3).SelectMany(b => new[]
            {
                b[0].ToArray(), b[1].ToArray(), b.Indices.Select(i => (float)i).ToArray(), b.Labels.Data.Select(l => (float)l).ToArray(),
            }).ToArray();
        }
        var reference = Run(0, 1);
        Assert.Equal(13 * 4, reference.Length);
        foreach (var (threads, prefetch) in new[] { (1, 2), (2, 3), (4, 2), (4, 8) })
        {
            var other = Run(threads, prefetch);
            Assert.Equal(reference.Length, other.Length);
            for (int k = 0; k < reference.Length; k++) Assert.Equal(reference[k], other[k]);
        }
    }

    [Fact]
    public void Each_view_is_its_transform_applied_with_the_stream_of_seed_epoch_index_view()
    {
        var data = LoaderFixtures.Gradients();
        using var loader = new MultiViewLoader(data, TwoSizes, new LoaderOptions(8, Seed: 9, Threads: 2));
        var batch = ReadEpoch(loader, 1)[2];
        var expected = new float[16];
        int differing = 0;
        for (int j = 0; j < batch.Count; j++)
        {
            int index = batch.Indices[j];
            TwoSizes.Views[0].Apply(data.Image(index), Generator.Derive(9, 1, index, 0), expected);
            var row = batch[0].ToArray().AsSpan(j * 16, 16).ToArray();
            Assert.Equal(expected, row);
            int corner = (int)MathF.Round(row.Min() * 255f);      // i + 7·oy + 3·ox for a crop at (oy, ox) ≤ (2, 2)
            Assert.InRange(corner - index, 0, 7 * 2 + 3 * 2);
            TwoSizes.Views[0].Apply(data.Image(index), Generator.Derive(9, 1, index, 1), expected);
            if (!expected.AsSpan().SequenceEqual(row)) differing++;
        }
        Assert.True(differing >= 4, $"view 0 and view 1 streams should differ; only {differing} of 8 rows did");
    }

    [Fact]
    public void Decode_failure_reaches_the_consumer_at_its_batch_with_the_file_name()
    {
        var data = new ProbeDataset(LoaderFixtures.Gradients(), failAt: 17);
        using var loader = new MultiViewLoader(data, TwoSizes, new LoaderOptions(4, Seed: 5, Threads: 2));
        int failingBatch = Array.IndexOf(loader.Order(0), 17) / 4;
        Assert.InRange(failingBatch, 0, loader.BatchesPerEpoch - 1);    // seed 5 puts index 17 inside the kept batches
        int delivered = 0;
        var e = Assert.Throws<InvalidDataException>(() => { foreach (var _ in loader.Epoch(0)) delivered++; });
        Assert.Equal("/data/img17.png: corrupt PNG (bad CRC)", e.Message);
        Assert.Equal(failingBatch, delivered);
    }

    [Fact]
    public void Transform_failure_is_wrapped_with_the_sample_it_was_working_on()
    {
        var data = LoaderFixtures.Gradients();
        using var loader = new MultiViewLoader(data, new MultiView([new ThrowingTransform(poison: 11)]), new LoaderOptions(4, Threads: 2));
        var e = Assert.Throws<InvalidOperationException>(() => ReadEpoch(loader, 0));
        Assert.StartsWith("gradients[11]: view 0 (ThrowingTransform) failed: boom", e.Message);
        Assert.IsType<IndexOutOfRangeException>(e.InnerException);
    }

    [Fact]
    public void Workers_stay_within_prefetch_of_a_slow_consumer_and_stop_when_it_leaves()
    {
        var data = new ProbeDataset(LoaderFixtures.Gradients(200));
        using var loader = new MultiViewLoader(data, TwoSizes, new LoaderOptions(4, Threads: 4, Prefetch: 2));
        foreach (var _ in loader.Epoch(0))
        {
            Thread.Sleep(300);                              // workers would read all 200 images by now if unbounded
            Assert.InRange(data.Reads, 4, (1 + 2) * 4);     // the batch taken + 2 ahead
            break;
        }
        int afterBreak = data.Reads;
        Thread.Sleep(100);
        Assert.Equal(afterBreak, data.Reads);               // threads joined: nothing more is read
    }

    [Fact]
    public void Eval_loader_gives_one_view_of_every_sample_in_index_order()
    {
        var data = LoaderFixtures.Gradients();
        using var loader = MultiViewLoader.ForEval(data, new CropFlip(6), batchSize: 10);
        var batches = ReadEpoch(loader, 0);
        Assert.Equal(4, loader.BatchesPerEpoch);
        Assert.Equal(Enumerable.Range(0, 37), batches.SelectMany(b => b.Indices));
        Assert.Single(batches[0].Views);
        Assert.Equal([7, 1, 6, 6], batches[^1][0].Shape);
        Assert.Equal(ReadEpoch(loader, 0)[1][0].ToArray(), batches[1][0].ToArray());     // same (seed, epoch): same flips
    }

    [Fact]
    public void Dataset_smaller_than_a_batch_with_drop_last_is_rejected()
    {
        var e = Assert.Throws<ArgumentException>(() => new MultiViewLoader(LoaderFixtures.Gradients(3), TwoSizes, new LoaderOptions(8)));
        Assert.Contains("fewer than one batch of 8", e.Message);
    }
}
