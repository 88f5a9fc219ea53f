using System.Text.Json;
using SelfSup.Engine.Nn;
using SelfSup.Training;
using SelfSup.Vision;
using SelfSup.Vision.Transforms;

namespace SelfSup.Cli;

/// <summary>`selfsup eval knn|linear|finetune --checkpoint FILE --data SPEC ...`: the evaluation protocols on a checkpoint's
/// backbone, or with `--probe-from-head-layer K` on the backbone followed by the first K projection-head layers (SimCLR v2).
/// `finetune --label-fraction F [--from-scratch]` trains the whole encoder and a linear head on a class-balanced F of the
/// training labels (the semi-supervised protocol); `--from-scratch` starts the same network from random weights. knn and
/// linear take `--label-fraction F [--seed S]` too: their bank or probe then sees the same labelled images.</summary>
static class EvalCommand
{
    public static int Run(string[] args)
    {
        if (args.Length == 0 || args[0] is not ("knn" or "linear" or "finetune")) throw new UsageException("eval: say 'eval knn', 'eval linear' or 'eval finetune'");
        var a = new ArgReader("eval " + args[0], args[1..],
            new HashSet<string> { "--checkpoint", "--data", "--k", "--temperature", "--epochs", "--lr", "--loader-threads", "--probe-from-head-layer",
                                  "--label-fraction", "--batch-size", "--seed" },
            new HashSet<string> { "--json", "--from-scratch" });
        if (args[0] == "finetune") return FineTuneCommand.Run(a);
        if (a.Has("--from-scratch")) throw new UsageException($"eval {args[0]}: --from-scratch belongs to eval finetune");
        var checkpoint = a.Required("--checkpoint");
        var trained = TrainedEncoder.Load(checkpoint, Console.Error);
        int headLayer = a.Int("--probe-from-head-layer", 0) ?? 0;
        UnaryModule encoder = headLayer == 0 ? trained.Backbone
            : HeadLayerEncoder.FromCheckpoint(trained.Backbone, trained.HeadWeights, headLayer, checkpoint);
        var data = DataSpec.Parse(a.Required("--data"));
        var test = data.Test ?? throw new ArgumentException($"{a.Required("--data")} has no test split to evaluate on");
        // --label-fraction: the kNN bank or the probe's training set is a class-balanced, seeded share of the labels
        // (the same images eval finetune trains on), to compare the protocols at equal labels.
        IImageDataset train = FineTuneCommand.LabelFraction(a, args[0]) is double fraction
            ? LabelSubset.Balanced(data.Train, fraction, (ulong)(a.Int("--seed", 0) ?? 0)) : data.Train;
        var eval = ViewParts.Eval(trained.Spec.ImageSize, trained.Spec.InChannels);
        int threads = a.Int("--loader-threads", 0) ?? 2;
        Dictionary<string, object> result;
        if (args[0] == "knn")
        {
            int k = a.Int("--k", 1) ?? 200; float t = a.Float("--temperature") ?? 0.1f;
            var r = Evaluation.Knn(encoder, train, test, eval, k, t, 0, threads, Console.Error);
            result = new() { ["knn_top1"] = Math.Round(r.Top1, 4), ["knn_top5"] = Math.Round(r.Top5, 4), ["k"] = k, ["temperature"] = t };
        }
        else
        {
            var (xTrain, yTrain) = Evaluation.Extract(encoder, train, eval, threads, "features (train)", normalize: false);
            var (xTest, yTest) = Evaluation.Extract(encoder, test, eval, threads, "features (test)", normalize: false);
            var options = new LinearProbeOptions(Epochs: a.Int("--epochs", 1) ?? 30, Lr: a.Float("--lr") ?? 0.1f);
            int classes = Math.Max(yTrain.Max(), yTest.Max()) + 1;
            var bar = new ProgressBar("linear probe", options.Epochs);
            var r = LinearProbe.Train(xTrain, yTrain, xTest, yTest, classes, options, (e, loss) => bar.Report(e + 1, $"loss {loss:F4}"));
            result = new() { ["linear_top1"] = Math.Round(r.Top1, 4), ["linear_top5"] = Math.Round(r.Top5, 4), ["epochs"] = r.Epochs };
        }
        if (headLayer > 0) result["head_layer"] = headLayer;
        if (!ReferenceEquals(train, data.Train)) result["labelled_images"] = train.Count;
        Console.WriteLine(a.Has("--json") ? JsonSerializer.Serialize(result) : string.Join(", ", result.Select(kv => $"{kv.Key} {kv.Value}")));
        return 0;
    }
}
