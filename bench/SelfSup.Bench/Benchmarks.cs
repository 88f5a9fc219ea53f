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
    ];

    public static string EngineName => "selfsup-" + (typeof(Benchmarks).Assembly.GetName().Version?.ToString(3) ?? "0");

    public static Workload Find(string name) =>
        All.FirstOrDefault(w => w.Name == name)
        ?? throw new ArgumentException($"unknown workload '{name}'; known: {string.Join(", ", All.Select(w => w.Name))}");

    /// <summary>Runs one workload with <paramref name="threads"/> worker threads.</summary>
    public static BenchResult Run(Workload workload, int threads)
    {
        int saved = Workers.Threads;
        Workers.Threads = threads;
        try
        {
            double value = workload.Run(new BenchContext(threads));
            return new BenchResult(workload.Name, workload.Unit, Math.Round(value, 2), threads, EngineName, PeakMemory.Bytes());
        }
        finally { Workers.Threads = saved; }
    }

    /// <summary>The peer's JSON line form, with peak_rss_mb added.</summary>
    public static string ToJson(BenchResult r) => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["workload"] = r.Workload, ["unit"] = r.Unit, ["value"] = r.Value, ["threads"] = r.Threads,
        ["engine"] = r.Engine, ["peak_rss_mb"] = Math.Round(r.PeakRssBytes / 1048576.0, 1),
    });
}
