using System.Text.Json;
using SelfSup.Training;
using SelfSup.Vision;

namespace SelfSup.Cli;

/// <summary>`selfsup eval finetune --checkpoint FILE --data SPEC --label-fraction 0.01|0.1|1 [--from-scratch] [--epochs N]
/// [--lr X] [--batch-size N] [--seed N] [--loader-threads N] [--json]`: see <see cref="FineTune"/>.</summary>
static class FineTuneCommand
{
    /// <summary>Epochs by default: more for fewer labels, as SimCLR (60 for 1 %, 30 for 10 %), and 15 for all of them.</summary>
    static int DefaultEpochs(double fraction) => fraction <= 0.02 ? 60 : fraction <= 0.2 ? 30 : 15;

    /// <summary>`--label-fraction F` as a number (its range is checked by <see cref="LabelSubset.Balanced"/>), or null when absent.</summary>
    internal static double? LabelFraction(ArgReader a, string command)
    {
        if (a.String("--label-fraction") is not { } text) return null;
        return double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double fraction)
            ? fraction : throw new UsageException($"eval {command}: --label-fraction needs a number in (0, 1], got '{text}'");
    }

    public static int Run(ArgReader a)
    {
        var checkpoint = a.Required("--checkpoint");
        double fraction = LabelFraction(a, "finetune") ?? throw new UsageException("eval finetune: --label-fraction is required");
        var trained = TrainedEncoder.Load(checkpoint, Console.Error);
        bool scratch = a.Has("--from-scratch");
        int seed = a.Int("--seed", 0) ?? 0;
        var backbone = scratch ? trained.Spec.Options().BuildEncoder(new Engine.Generator((ulong)seed)) : trained.Backbone;
        var data = DataSpec.Parse(a.Required("--data"));
        var test = data.Test ?? throw new ArgumentException($"{a.Required("--data")} has no test split to evaluate on");
        var labelled = LabelSubset.Balanced(data.Train, fraction, (ulong)seed);
        var (size, channels) = (trained.Spec.ImageSize, trained.Spec.InChannels);
        var options = new FineTuneOptions(a.Int("--epochs", 1) ?? DefaultEpochs(fraction), a.Int("--batch-size", 2) ?? 128, a.Float("--lr") ?? 0.05f,
            Seed: (ulong)seed, LoaderThreads: a.Int("--loader-threads", 0) ?? 2);
        int classes = Math.Max(data.Train.ClassNames.Count, Enumerable.Range(0, labelled.Count).Max(labelled.Label) + 1);
        Console.Error.WriteLine($"fine-tuning {(scratch ? "a randomly initialised" : trained.Method + "'s")} encoder on {labelled.Count} labelled images " +
                                $"({labelled.Name}), {options.Epochs} epochs, lr {options.Lr}");
        var bar = new ProgressBar("fine-tune", options.Epochs);
        var r = FineTune.Train(backbone, labelled, test, FineTune.TrainView(size, channels), Vision.Transforms.ViewParts.Eval(size, channels),
            classes, options, (e, loss) => bar.Report(e + 1, $"loss {loss:F4}"));
        var result = new Dictionary<string, object>
        {
            ["finetune_top1"] = Math.Round(r.Top1, 4), ["finetune_top5"] = Math.Round(r.Top5, 4), ["label_fraction"] = fraction,
            ["labelled_images"] = r.LabelledImages, ["epochs"] = r.Epochs, ["from_scratch"] = scratch,
        };
        Console.WriteLine(a.Has("--json") ? JsonSerializer.Serialize(result) : string.Join(", ", result.Select(kv => $"{kv.Key} {kv.Value}")));
        return 0;
    }
}
