using System.Text.Json;
using SelfSup.Training;

namespace SelfSup.Cli;

/// <summary>`selfsup train --method NAME --data SPEC ...` (DESIGN.md's command line).</summary>
static class TrainCommand
{
    static readonly HashSet<string> Valued = ["--method", "--data", "--backbone", "--width", "--stem", "--preset", "--epochs", "--batch-size",
        "--lr", "--head-layers", "--out", "--seed", "--loader-threads", "--knn-every", "--knn-k", "--knn-temperature", "--knn-train-limit", "--train-limit"];
    static readonly HashSet<string> Flags = ["--resume", "--json"];

    public static int Run(string[] args)
    {
        var a = new ArgReader("train", args, Valued, Flags);
        var defaults = new TrainOptions();
        var options = new TrainOptions
        {
            Method = a.String("--method") ?? defaults.Method,
            Data = a.Required("--data"),
            Backbone = a.String("--backbone") ?? defaults.Backbone,
            Width = a.Int("--width", 1) ?? defaults.Width,
            Stem = a.String("--stem"), Preset = a.String("--preset"),
            Epochs = a.Int("--epochs", 1), BatchSize = a.Int("--batch-size", 2), Lr = a.Float("--lr"),
            HeadLayers = a.Int("--head-layers"),
            Out = a.String("--out"), Resume = a.Has("--resume"),
            Seed = (ulong)(a.Int("--seed", 0) ?? 0),
            LoaderThreads = a.Int("--loader-threads", 0) ?? defaults.LoaderThreads,
            KnnEvery = a.Int("--knn-every", 0) ?? defaults.KnnEvery,
            KnnK = a.Int("--knn-k", 1) ?? defaults.KnnK,
            KnnTemperature = a.Float("--knn-temperature") ?? defaults.KnnTemperature,
            KnnTrainLimit = a.Int("--knn-train-limit", 0) ?? 0,
            TrainLimit = a.Int("--train-limit", 0) ?? 0,
        };
        var result = new Trainer(Recipe.Resolve(options), Console.Error).Run();
        if (a.Has("--json"))
            Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["method"] = result.Method, ["epochs"] = result.Epochs, ["loss"] = Math.Round(result.Loss, 4),
                ["knn_top1"] = result.KnnTop1 is double t1 ? Math.Round(t1, 4) : null,
                ["knn_top5"] = result.KnnTop5 is double t5 ? Math.Round(t5, 4) : null,
                ["checkpoint"] = result.Checkpoint, ["seconds"] = Math.Round(result.Seconds, 1),
            }));
        else
            Console.WriteLine($"{result.Method}: {result.Epochs} epochs, loss {result.Loss:F4}" +
                (result.KnnTop1 is double k ? $", kNN top-1 {k:P2}" : "") + $" — {result.Checkpoint}");
        return 0;
    }
}
