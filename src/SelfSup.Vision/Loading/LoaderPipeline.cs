using System.Runtime.ExceptionServices;

namespace SelfSup.Vision;

/// <summary>
/// One epoch in flight: worker threads claim batch numbers in order, at most Prefetch ahead of the next one the
/// consumer takes, and park the results (or their exceptions) by number; the consumer takes them in order.
/// </summary>
internal sealed class LoaderPipeline : IDisposable
{
    readonly MultiViewLoader loader;
    readonly int[] order;
    readonly int epoch, total, prefetch;
    readonly object gate = new();
    readonly Dictionary<int, ViewBatch> ready = [];
    readonly Dictionary<int, ExceptionDispatchInfo> failed = [];
    readonly Thread[] threads;
    int nextToStart, nextToTake;
    bool stopping;

    public LoaderPipeline(MultiViewLoader loader, int[] order, int epoch, int startBatch = 0)
    {
        this.loader = loader; this.order = order; this.epoch = epoch;
        nextToStart = nextToTake = startBatch;
        total = loader.BatchesPerEpoch;
        prefetch = loader.Options.Prefetch;
        threads = new Thread[Math.Min(loader.Options.Threads, Math.Max(1, total - startBatch))];
        for (int t = 0; t < threads.Length; t++)
        {
            threads[t] = new Thread(Work) { IsBackground = true, Name = $"selfsup-loader-{t}" };
            threads[t].Start();
        }
    }

    void Work()
    {
        while (true)
        {
            int b;
            lock (gate)
            {
                while (!stopping && failed.Count == 0 && nextToStart < total && nextToStart >= nextToTake + prefetch)
                    Monitor.Wait(gate);
                if (stopping || failed.Count > 0 || nextToStart >= total) return;
                b = nextToStart++;
            }
            try
            {
                var batch = loader.Build(order, epoch, b);
                lock (gate) { ready[b] = batch; Monitor.PulseAll(gate); }
            }
            catch (Exception e)
            {
                lock (gate) { failed[b] = ExceptionDispatchInfo.Capture(e); Monitor.PulseAll(gate); }
                return;
            }
        }
    }

    /// <summary>Batch <paramref name="b"/> (taken in order), waiting for it if need be; rethrows its failure.
    /// Every batch before a failed one was claimed before it, so failures surface in batch order.</summary>
    public ViewBatch Take(int b)
    {
        lock (gate)
        {
            while (!ready.ContainsKey(b) && !failed.ContainsKey(b))
            {
                ObjectDisposedException.ThrowIf(stopping, loader);
                Monitor.Wait(gate);
            }
            if (failed.TryGetValue(b, out var error)) error.Throw();
            var batch = ready[b];
            ready.Remove(b);
            nextToTake = b + 1;
            Monitor.PulseAll(gate);
            return batch;
        }
    }

    /// <summary>Stops claiming batches and waits for the threads (each finishes the batch it is building).</summary>
    public void Dispose()
    {
        lock (gate) { stopping = true; Monitor.PulseAll(gate); }
        foreach (var t in threads) if (t != Thread.CurrentThread) t.Join();
        lock (gate) ready.Clear();
    }
}
