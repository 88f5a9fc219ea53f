namespace SelfSup.Bench;

/// <summary>One benchmark workload of shared/BENCHMARKS.md: a name, a unit, and how to measure it.</summary>
public sealed record Workload(string Name, string Unit, string Description, Func<BenchContext, double> Run);

/// <summary>What a workload needs from the harness: the thread count and the timing rule.</summary>
public sealed class BenchContext(int threads)
{
    public int Threads { get; } = threads;

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
public sealed record BenchResult(string Workload, string Unit, double Value, int Threads, string Engine, long PeakRssBytes);
