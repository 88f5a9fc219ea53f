using System.Text.Json;
using SelfSup.Training;

namespace SelfSup.Cli;

/// <summary>
/// `selfsup train --method NAME --data SPEC ... [--config FILE.yaml] [--resume [FILE]]` (DESIGN.md's command line).
/// Every <see cref="TrainOptions"/> property is an option (<see cref="OptionTable"/>: BatchSize is --batch-size); a config
/// file gives any of them as `batch-size: 256`, and flags on the command line override it.
/// </summary>
static class TrainCommand
{
    static readonly HashSet<string> Valued = [.. OptionTable.All.Where(o => !o.IsFlag).Select(o => "--" + o.Key), "--config"];
    static readonly HashSet<string> Flags = [.. OptionTable.All.Where(o => o.IsFlag).Select(o => "--" + o.Key), "--json"];

    public static int Run(string[] args)
    {
        var a = new ArgReader("train", ResumeValue(args), Valued, Flags);
        var settings = new List<OptionSetting>();
        if (a.String("--config") is { } config) settings.AddRange(ConfigFile.Read(config));
        foreach (var option in OptionTable.All)
            if (a.Has("--" + option.Key))
                settings.Add(new OptionSetting(option.Key, option.IsFlag ? "true" : a.String("--" + option.Key), "--" + option.Key));
        if (!settings.Any(s => s.Key == "data")) throw new UsageException("train: --data is required (on the command line or as 'data:' in the --config file)");
        TrainOptions options;
        try { options = OptionTable.Build(settings); }
        catch (ArgumentException e) { throw new UsageException($"train: {e.Message}"); }

        using var comm = Distributed.MpiCommunicator.Launched ? new Distributed.MpiCommunicator(TimeSpan.FromSeconds(options.RankTimeout)) : (Distributed.ICommunicator)Distributed.SingleProcess.Instance;
        TrainResult result;
        try
        {
            var log = comm.Rank == 0 ? Console.Error : TextWriter.Null;               // rank 0 speaks for the job
            result = new Trainer(Recipe.Resolve(options, comm.Size), log) { Comm = comm }.Run();
        }
        catch (Exception e) when (comm is Distributed.MpiCommunicator mpi && comm.Size > 1)
        {
            // The other ranks would wait in their next collective for ever: end the whole job, naming this rank.
            Console.Error.WriteLine($"selfsup: rank {comm.Rank} of {comm.Size}: {e.Message}");
            mpi.Abort(e is ArgumentException or InvalidDataException or IOException ? 1 : 70);
            throw;
        }
        if (comm.Rank != 0) return 0;
        if (a.Has("--json"))
            Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["method"] = result.Method, ["epochs"] = result.Epochs,
                ["loss"] = double.IsFinite(result.Loss) ? Math.Round(result.Loss, 4) : null,
                ["knn_top1"] = result.KnnTop1 is double t1 ? Math.Round(t1, 4) : null,
                ["knn_top5"] = result.KnnTop5 is double t5 ? Math.Round(t5, 4) : null,
                ["checkpoint"] = result.Checkpoint, ["seconds"] = Math.Round(result.Seconds, 1),
            }));
        else
            Console.WriteLine($"{result.Method}: {result.Epochs} epochs, loss {result.Loss:F4}" +
                (result.KnnTop1 is double k ? $", kNN top-1 {k:P2}" : "") + $" — {result.Checkpoint}");
        return 0;
    }

    /// <summary>`--resume` alone means `--resume auto` (the newest valid checkpoint in --out); `--resume FILE` names one.</summary>
    static string[] ResumeValue(string[] args)
    {
        int at = Array.IndexOf(args, "--resume");
        if (at < 0 || (at + 1 < args.Length && !args[at + 1].StartsWith("--", StringComparison.Ordinal))) return args;
        return [.. args[..(at + 1)], "auto", .. args[(at + 1)..]];
    }
}
