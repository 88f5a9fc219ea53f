using System.Text.Json;
using SelfSup.Engine.Kernels;

namespace SelfSup.Bench;

/// <summary>The registry of workloads and the runner behind `selfsup bench`.</summary>
public static class Benchmarks
{
    public static IReadOnlyList<Workload> All { get; } =
    [
        GemmWorkload.Create(),
        TrainingWorkloads.ResNet18CifarTrain(),
        TrainingWorkloads.ResNet18CifarInfer(),
        MoCoStepWorkload.Create(),
        TrainingWorkloads.SmallFmnistTrain(),
        TrainingWorkloads.VitTinyTrain(),
        AugmentWorkload.Create(),
        DataParallelWorkloads.SmallFmnistTrain(),
        DataParallelWorkloads.ResNet18CifarTrain(),
        DataParallelWorkloads.AllReduce(),
    ];

    /// <summary>Whether the workload measures data parallelism (the ones to run under mpirun).</summary>
    public static bool IsDataParallel(Workload w) => w.Name.StartsWith("ddp-", StringComparison.Ordinal);

    public static string EngineName => "selfsup-" + (typeof(Benchmarks).Assembly.GetName().Version?.ToString(3) ?? "0");

    public static Workload Find(string name) =>
        All.FirstOrDefault(w => w.Name == name)
        ?? throw new ArgumentException($"unknown workload '{name}'; known: {string.Join(", ", All.Select(w => w.Name))}");

    /// <summary>Runs one workload with <paramref name="threads"/> worker threads (per rank of <paramref name="comm"/>).</summary>
    public static BenchResult Run(Workload workload, int threads, Distributed.ICommunicator? comm = null)
    {
        int saved = Workers.Threads;
        Workers.Threads = threads;
        try
        {
            var context = new BenchContext(threads, comm);
            double value = workload.Run(context);
            return new BenchResult(workload.Name, workload.Unit, Math.Round(value, 2), threads, EngineName, PeakMemory.Bytes(), context.Details);
        }
        finally { Workers.Threads = saved; }
    }

    /// <summary>The peer's JSON line form, with peak_rss_mb and the workload's details added.</summary>
    public static string ToJson(BenchResult r)
    {
        var fields = new Dictionary<string, object>
        {
            ["workload"] = r.Workload, ["unit"] = r.Unit, ["value"] = r.Value, ["threads"] = r.Threads,
            ["engine"] = r.Engine, ["peak_rss_mb"] = Math.Round(r.PeakRssBytes / 1048576.0, 1),
        };
        foreach (var (key, value) in r.Details ?? new Dictionary<string, double>()) fields[key] = Math.Round(value, 4);
        return JsonSerializer.Serialize(fields);
    }
}
