namespace SelfSup.Engine.Kernels;

/// <summary>
/// A fixed set of persistent background worker threads used by the compute kernels.
/// <see cref="Threads"/> (default <see cref="Environment.ProcessorCount"/>) is the total degree of
/// parallelism including the calling thread, which always participates in <see cref="For"/>.
/// </summary>
/// <remarks>
/// Work items are handed out dynamically through an interlocked counter, so a worker that is
/// descheduled on a busy machine does not hold up the others. Workers spin briefly before
/// blocking, which keeps the per-call latency low for the back-to-back calls a GEMM driver makes.
/// Nested calls (a body calling <see cref="For"/>) and calls made while another thread already
/// owns the pool run inline on the calling thread, so the pool can never deadlock.
/// </remarks>
public static class Workers
{
    private static int _threads = Math.Max(1, Environment.ProcessorCount);
    private static readonly object Gate = new();
    private static readonly List<Worker> Pool = new();

    [ThreadStatic] private static bool _inside;

    /// <summary>Total number of threads used by <see cref="For"/> (calling thread included). Minimum 1.</summary>
    public static int Threads
    {
        get => Volatile.Read(ref _threads);
        set => Volatile.Write(ref _threads, Math.Max(1, value));
    }

    /// <summary>
    /// Runs <paramref name="body"/>(i) for every i in [0, <paramref name="count"/>), split across
    /// <see cref="Threads"/> threads (the calling thread participates) and returns when all are done.
    /// Runs inline when count is 1, Threads is 1, or when called from inside another <see cref="For"/>.
    /// The first exception thrown by a body is rethrown on the calling thread after all items finish.
    /// </summary>
    public static void For(int count, Action<int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (count <= 0) return;
        int threads = Math.Min(Threads, count);
        if (threads <= 1 || _inside || !Monitor.TryEnter(Gate))
        {
            RunInline(count, body);
            return;
        }
        try
        {
            _inside = true;
            var job = new Job(body, count, threads);
            EnsureWorkers(threads - 1);
            for (int w = 0; w < threads - 1; w++) Pool[w].Start(job);
            job.RunItems();
            job.Finish();
            job.WaitAll();
            if (job.Error is not null)
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(job.Error).Throw();
        }
        finally
        {
            _inside = false;
            Monitor.Exit(Gate);
        }
    }

    private static void RunInline(int count, Action<int> body)
    {
        bool was = _inside;
        _inside = true;
        try
        {
            for (int i = 0; i < count; i++) body(i);
        }
        finally { _inside = was; }
    }

    private static void EnsureWorkers(int n)
    {
        while (Pool.Count < n) Pool.Add(new Worker(Pool.Count));
    }

    /// <summary>One parallel-for invocation: dynamic item counter plus a completion count of participants.</summary>
    private sealed class Job(Action<int> body, int count, int participants)
    {
        private int _next = -1;
        private int _pending = participants;
        private readonly ManualResetEventSlim _done = new(false, spinCount: 2000);
        public Exception? Error;

        public void RunItems()
        {
            try
            {
                int i;
                while ((i = Interlocked.Increment(ref _next)) < count) body(i);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref Error, e, null);
                Volatile.Write(ref _next, count); // stop handing out further items
            }
        }

        public void Finish()
        {
            if (Interlocked.Decrement(ref _pending) == 0) _done.Set();
        }

        public void WaitAll()
        {
            // Not disposed: a worker's Set() may still be returning when Wait() wakes up.
            _done.Wait();
        }
    }

    /// <summary>A persistent background thread that runs the items of the jobs it is handed.</summary>
    private sealed class Worker
    {
        private readonly SemaphoreSlim _signal = new(0);
        private Job? _job;

        public Worker(int index)
        {
            var t = new Thread(Loop) { IsBackground = true, Name = $"SelfSup.Worker{index}" };
            t.Start();
        }

        public void Start(Job job)
        {
            Volatile.Write(ref _job, job);
            _signal.Release();
        }

        private void Loop()
        {
            _inside = true; // anything a worker runs that calls Workers.For runs inline
            while (true)
            {
                // SemaphoreSlim spins briefly before blocking: low wake-up latency for GEMM phases.
                _signal.Wait();
                var job = Volatile.Read(ref _job)!;
                job.RunItems();
                job.Finish();
            }
        }
    }
}
