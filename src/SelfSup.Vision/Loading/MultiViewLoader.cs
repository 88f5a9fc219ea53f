using SelfSup.Engine;

namespace SelfSup.Vision;

/// <summary>
/// Turns a dataset into batches of augmented views on background threads, a few batches ahead of training.
/// <para>Determinism: epoch e visits the samples in <c>Generator.Derive(Seed, e).Permutation(N)</c> order, and view v of
/// sample i gets its own stream <c>Generator.Derive(Seed, e, i, v)</c>; a batch's contents therefore depend only on
/// (seed, epoch, batch number), never on the thread count or on which thread built it.</para>
/// <para>Memory: at most <see cref="LoaderOptions.Prefetch"/> batches are built or waiting beyond those handed out;
/// each batch has fresh tensors (pooled storage), so a batch the caller keeps is never overwritten.</para>
/// <para>Errors: an exception while building a batch is rethrown to the caller when it reaches that batch; decode
/// errors name the file, other failures are wrapped with the sample's source.</para>
/// </summary>
public sealed class MultiViewLoader : IDisposable
{
    readonly IImageDataset data;
    readonly IViewTransform[] views;
    readonly LoaderOptions options;
    readonly List<LoaderPipeline> running = [];
    bool disposed;

    public MultiViewLoader(IImageDataset data, MultiView views, LoaderOptions options)
    {
        if (views.Views.Count == 0) throw new ArgumentException("a loader needs at least one view");
        if (options.BatchSize <= 0) throw new ArgumentException($"batch size must be positive, not {options.BatchSize}");
        if (options.Threads < 0) throw new ArgumentException($"loader threads must be 0 or more, not {options.Threads}");
        if (options.Prefetch <= 0) throw new ArgumentException($"prefetch must be positive, not {options.Prefetch}");
        if (options.WorldSize < 1 || options.Rank < 0 || options.Rank >= options.WorldSize)
            throw new ArgumentException($"rank {options.Rank} is outside a job of {options.WorldSize} process(es)");
        if (options.DropLast && data.Count < options.GlobalBatchSize)
            throw new ArgumentException($"{data.Name} has {data.Count} images, fewer than one batch of {options.GlobalBatchSize}" +
                                        (options.WorldSize > 1 ? $" ({options.WorldSize} ranks × {options.BatchSize})" : "") + " (drop-last)");
        this.data = data; this.views = [.. views.Views]; this.options = options;
        int global = options.GlobalBatchSize;
        BatchesPerEpoch = options.DropLast ? data.Count / global : (data.Count + global - 1) / global;
    }

    /// <summary>A loader for feature extraction (kNN, linear probe): one view, every sample once in index order,
    /// the last batch partial.</summary>
    public static MultiViewLoader ForEval(IImageDataset data, IViewTransform view, int batchSize, int threads = 2, ulong seed = 0) =>
        new(data, new MultiView([view]), new LoaderOptions(batchSize, seed, threads, DropLast: false, Shuffle: false));

    public IImageDataset Data => data;
    public LoaderOptions Options => options;
    public int BatchesPerEpoch { get; }
    /// <summary>Samples delivered per epoch over all ranks (all of them, or the whole batches when dropping the last).</summary>
    public int SamplesPerEpoch => Math.Min(data.Count, BatchesPerEpoch * options.GlobalBatchSize);

    /// <summary>The order epoch <paramref name="epoch"/> visits the samples in (all N; drop-last cuts the tail).</summary>
    public int[] Order(int epoch)
    {
        if (!options.Shuffle)
        {
            var identity = new int[data.Count];
            for (int i = 0; i < identity.Length; i++) identity[i] = i;
            return identity;
        }
        return Generator.Derive(options.Seed, epoch).Permutation(data.Count);
    }

    /// <summary>The batches of epoch <paramref name="epoch"/> from batch <paramref name="startBatch"/> on (a run resumed
    /// mid-epoch skips those already trained on; the rest are the same batches), built ahead on the background threads;
    /// leaving the loop early (or disposing the enumerator) stops them.</summary>
    public IEnumerable<ViewBatch> Epoch(int epoch, int startBatch = 0)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (startBatch < 0 || startBatch > BatchesPerEpoch)
            throw new ArgumentOutOfRangeException(nameof(startBatch), $"start batch {startBatch} is outside 0..{BatchesPerEpoch}");
        var order = Order(epoch);
        if (options.Threads == 0)
        {
            for (int b = startBatch; b < BatchesPerEpoch; b++) yield return Build(order, epoch, b);
            yield break;
        }
        var pipeline = new LoaderPipeline(this, order, epoch, startBatch);
        lock (running) running.Add(pipeline);
        try
        {
            for (int b = startBatch; b < BatchesPerEpoch; b++) yield return pipeline.Take(b);
        }
        finally
        {
            pipeline.Dispose();
            lock (running) running.Remove(pipeline);
        }
    }

    /// <summary>Batch <paramref name="batch"/> of epoch <paramref name="epoch"/>, built on the caller's thread.</summary>
    public ViewBatch Batch(int epoch, int batch) => Build(Order(epoch), epoch, batch);

    internal ViewBatch Build(int[] order, int epoch, int batch)
    {
        int start = batch * options.GlobalBatchSize + options.Rank * options.BatchSize;    // this rank's slice of the global batch
        int n = Math.Clamp(order.Length - start, 0, options.BatchSize);                   // the last one may be short, or empty
        var indices = order.AsSpan(Math.Min(start, order.Length), n).ToArray();
        var tensors = new Tensor[views.Length];
        for (int v = 0; v < views.Length; v++)
            tensors[v] = Tensor.Zeros(n, views[v].Channels, views[v].Height, views[v].Width);      // (B, C, H, W)
        var labels = new int[n];
        for (int j = 0; j < n; j++)
        {
            int index = indices[j];
            var image = data.Image(index);          // decode errors name the file
            labels[j] = data.Label(index);
            for (int v = 0; v < views.Length; v++)
            {
                int size = views[v].Channels * views[v].Height * views[v].Width;
                var rng = Generator.Derive(options.Seed, epoch, index, v);
                try
                {
                    views[v].Apply(image, rng, tensors[v].Span.Slice(j * size, size));
                }
                catch (Exception e) when (e is not (InvalidDataException or IOException or OutOfMemoryException))
                {
                    throw new InvalidOperationException($"{data.Describe(index)}: view {v} ({views[v].GetType().Name}) failed: {e.Message}", e);
                }
            }
        }
        return new ViewBatch(tensors, indices, new IntTensor(labels, n));
    }

    /// <summary>Stops the background threads of any epoch still being read.</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        LoaderPipeline[] open;
        lock (running) open = [.. running];
        foreach (var p in open) p.Dispose();
    }
}
