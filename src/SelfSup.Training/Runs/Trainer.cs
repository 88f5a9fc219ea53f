using System.Globalization;
using System.Text.Json;
using SelfSup.Engine;
using SelfSup.Methods;
using SelfSup.Vision;

namespace SelfSup.Training;

/// <summary>
/// The training loop of `selfsup train`: for each batch of views, the method's loss, backward, optimiser step and the
/// method's after-step update; after each epoch a kNN monitor, a metrics.csv row and a checkpoint (plus last.safetensors).
/// </summary>
public sealed class Trainer(Recipe recipe, TextWriter log)
{
    public TrainResult Run()
    {
        var o = recipe.Options;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        string outDir = o.Out ?? Path.Combine("runs", $"{o.Method}-{DateTime.Now:yyyyMMdd-HHmmss}");
        Directory.CreateDirectory(outDir);
        var rng = new Generator(o.Seed);
        var method = Methods.Methods.Create(o.Method, recipe.MethodOptions, rng, recipe.Train.Count);
        using var loader = new MultiViewLoader(recipe.Train, recipe.Views, new LoaderOptions(recipe.BatchSize, o.Seed, o.LoaderThreads));
        var optimizer = recipe.BuildOptimizer(method);
        var schedule = recipe.BuildSchedule(loader.BatchesPerEpoch);
        int totalSteps = recipe.Epochs * loader.BatchesPerEpoch;
        var metrics = new MetricsCsv(Path.Combine(outDir, "metrics.csv"));
        string last = Path.Combine(outDir, "last.safetensors");
        using var report = new RunReporter(outDir, recipe, log);                      // TensorBoard events + report.html

        int startEpoch = 0;
        if (o.Resume) startEpoch = Resume(last, method, optimizer);
        log.WriteLine($"{o.Method}: {recipe.Train.Name} ({recipe.Train.Count} images, {recipe.ImageSize}px, {recipe.Channels} ch), " +
                      $"{(recipe.Small ? "small" : "paper")} preset, {o.Backbone} width {o.Width}, batch {recipe.BatchSize}, lr {recipe.Lr:G3}, " +
                      $"{recipe.Epochs} epochs of {loader.BatchesPerEpoch} steps → {outDir}");

        double loss = double.NaN; KnnResult? knn = null;
        for (int epoch = startEpoch; epoch < recipe.Epochs; epoch++)
        {
            var epochStart = System.Diagnostics.Stopwatch.GetTimestamp();
            var bar = new ProgressBar($"epoch {epoch + 1}/{recipe.Epochs}", loader.BatchesPerEpoch);
            double lossSum = 0; int steps = 0, images = 0;
            float lr = 0;
            foreach (var batch in loader.Epoch(epoch))
            {
                int step = epoch * loader.BatchesPerEpoch + steps;
                lr = schedule.At(step);
                optimizer.Lr = lr;
                var l = method.Loss(batch.Views.Take(method.ViewCount).ToArray(), batch.Indices);    // scalar
                optimizer.ZeroGrad();
                l.Backward();
                optimizer.Step();
                method.AfterStep(step, totalSteps);
                float value = l.Item();
                if (!float.IsFinite(value)) throw new InvalidOperationException($"loss became {value} at epoch {epoch + 1}, step {steps + 1}; try a lower --lr");
                report.Step(step, value, lr);
                lossSum += value; steps++; images += batch.Count;
                double seconds = System.Diagnostics.Stopwatch.GetElapsedTime(epochStart).TotalSeconds;
                bar.Report(steps, $"loss {lossSum / steps:F4} lr {lr:G3} {images / seconds:F0} img/s");
            }
            loss = lossSum / Math.Max(steps, 1);
            double epochSeconds = System.Diagnostics.Stopwatch.GetElapsedTime(epochStart).TotalSeconds;
            bool monitor = epoch == recipe.Epochs - 1 || (o.KnnEvery > 0 && (epoch + 1) % o.KnnEvery == 0);
            if (monitor && recipe.Data.Test is { } test && test.Label(0) >= 0)
            {
                knn = Evaluation.Knn(method.Backbone, recipe.Data.Train, test, recipe.EvalView, o.KnnK, o.KnnTemperature, o.KnnTrainLimit, o.LoaderThreads, log, report.Features);
                log.WriteLine($"epoch {epoch + 1}: loss {loss:F4}, kNN top-1 {knn.Top1:P2} top-5 {knn.Top5:P2}");
            }
            else log.WriteLine($"epoch {epoch + 1}: loss {loss:F4}");
            metrics.Append(epoch + 1, (epoch + 1) * loader.BatchesPerEpoch, loss, lr, monitor ? knn?.Top1 : null, monitor ? knn?.Top5 : null,
                images / epochSeconds, epochSeconds);
            report.Epoch(epoch + 1, (epoch + 1) * loader.BatchesPerEpoch, loss, lr, monitor ? knn?.Top1 : null, monitor ? knn?.Top5 : null, images / epochSeconds);
            var content = Content(method, optimizer, epoch + 1, (epoch + 1) * loader.BatchesPerEpoch);
            Checkpoint.Save(Path.Combine(outDir, $"epoch-{epoch + 1:D3}.safetensors"), content);
            Checkpoint.Save(last, content);
        }
        return new TrainResult(o.Method, recipe.Epochs, loss, knn?.Top1, knn?.Top5, last,
            System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    CheckpointContent Content(SslMethod method, Engine.Optim.Optimizer optimizer, int epoch, int step)
    {
        var o = recipe.Options;
        var b = recipe.MethodOptions.Backbone;
        var info = new Dictionary<string, string>
        {
            ["method"] = o.Method, ["epoch"] = epoch.ToString(CultureInfo.InvariantCulture), ["step"] = step.ToString(CultureInfo.InvariantCulture),
            ["seed"] = o.Seed.ToString(CultureInfo.InvariantCulture), ["data"] = o.Data,
            ["config"] = JsonSerializer.Serialize(o),
            ["backbone"] = BackboneSpec.From(b, recipe.ImageSize).ToJson(),
        };
        return new CheckpointContent(method.StateDict(), optimizer.StateDict(), method.ExtraState(), info);
    }

    /// <summary>Continues from last.safetensors when it exists and was made by the same method on the same data.</summary>
    int Resume(string last, SslMethod method, Engine.Optim.Optimizer optimizer)
    {
        if (!File.Exists(last)) { log.WriteLine($"resume: no {last} yet, starting from scratch"); return 0; }
        var c = Checkpoint.Load(last);
        if (c.Info.GetValueOrDefault("method") != recipe.Options.Method || c.Info.GetValueOrDefault("data") != recipe.Options.Data)
            throw new InvalidDataException($"{last}: made by method '{c.Info.GetValueOrDefault("method")}' on '{c.Info.GetValueOrDefault("data")}', not this run's");
        method.LoadStateDict(c.Model, strict: true);
        optimizer.LoadStateDict(c.Optimizer);
        method.LoadExtraState(c.Extra);
        int epoch = int.Parse(c.Info["epoch"], CultureInfo.InvariantCulture);
        log.WriteLine($"resume: continuing after epoch {epoch} from {last}");
        return epoch;
    }
}
