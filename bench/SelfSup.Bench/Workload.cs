namespace SelfSup.Bench;

/// <summary>One benchmark workload of shared/BENCHMARKS.md: a name, a unit, and how to measure it.</summary>
public sealed record Workload(string Name, string Unit, string Description, Func<BenchContext, double> Run);

/// <summary>What a workload needs from the harness: the thread count, the ranks (one process unless under mpirun), the
/// timing rule, and where it puts figures beyond its value.</summary>
public sealed class BenchContext(int threads, Distributed.ICommunicator? comm = null)
{
    public int Threads { get; } = threads;
    public Distributed.ICommunicator Comm { get; } = comm ?? Distributed.SingleProcess.Instance;
    /// <summary>Further figures of the result (the JSON line's extra fields), e.g. the fraction of time communicating.</summary>
    public Dictionary<string, double> Details { get; } = [];

    /// <summary>Best wall time in seconds of <paramref name="iterations"/> timed runs after <paramref name="warmup"/> untimed ones.</summary>
    public static double BestOf(Action step, int warmup, int iterations)
    {
        for (int i = 0; i < warmup; i++) step();
        double best = double.PositiveInfinity;
        for (int i = 0; i < iterations; i++)
        {
            long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
            step();
            best = Math.Min(best, System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalSeconds);
        }
        return best;
    }
}

/// <summary>Result line, printed in the peer's JSON form plus the peak resident memory.</summary>
public sealed record BenchResult(string Workload, string Unit, double Value, int Threads, string Engine, long PeakRssBytes,
    IReadOnlyDictionary<string, double>? Details = null);
