using SelfSup.Bench;

namespace SelfSup.Cli;

/// <summary>`selfsup bench [WORKLOAD ...] [--json] [--threads N] [--list]`: the speed workloads of BENCHMARKS.md. Under
/// mpirun only the ddp-* workloads run (all of them by default), each rank with --threads threads; rank 0 prints.</summary>
static class BenchCommand
{
    public static int Run(string[] args)
    {
        bool json = false, list = false;
        int threads = int.TryParse(Environment.GetEnvironmentVariable("BENCH_THREADS"), out var t) && t > 0 ? t : 2;
        var names = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--json": json = true; break;
                case "--list": list = true; break;
                case "--threads":
                    if (i + 1 >= args.Length || !int.TryParse(args[++i], out threads) || threads < 1)
                        throw new UsageException("--threads needs a positive integer");
                    break;
                default:
                    if (args[i].StartsWith('-')) throw new UsageException($"bench: unknown option '{args[i]}'");
                    names.Add(args[i]);
                    break;
            }
        }
        if (list)
        {
            foreach (var w in Benchmarks.All) Console.WriteLine($"{w.Name,-24} {w.Unit,-14} {w.Description}");
            return 0;
        }
        var workloads = names.Count == 0 ? Benchmarks.All : names.Select(Find).ToList();
        bool launched = Distributed.MpiCommunicator.Launched;
        if (launched && names.Count == 0) workloads = [.. workloads.Where(Benchmarks.IsDataParallel)];
        if (launched && workloads.FirstOrDefault(w => !Benchmarks.IsDataParallel(w)) is { } single)
            throw new UsageException($"bench: {single.Name} runs in one process; under mpirun only the ddp-* workloads");
        using var comm = launched ? new Distributed.MpiCommunicator() : (Distributed.ICommunicator)Distributed.SingleProcess.Instance;
        bool speaks = comm.Rank == 0;
        foreach (var w in workloads)
        {
            if (!json && speaks) Console.Error.Write($"{w.Name}: running... ");
            BenchResult r;
            try { r = Benchmarks.Run(w, threads, comm); }
            catch (ArgumentException e) { throw new UsageException($"bench {w.Name}: {e.Message}"); }
            if (!speaks) continue;
            if (json) Console.WriteLine(Benchmarks.ToJson(r));
            else Console.Error.WriteLine($"{r.Value} {r.Unit} ({(comm.Size > 1 ? $"{comm.Size} ranks × " : "")}{r.Threads} threads, peak RSS {r.PeakRssBytes / 1048576.0:F0} MB" +
                string.Concat((r.Details ?? new Dictionary<string, double>()).Select(d => $", {d.Key} {d.Value:G4}")) + ")");
        }
        return 0;
    }

    static Workload Find(string name)
    {
        try { return Benchmarks.Find(name); }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
    }
}
