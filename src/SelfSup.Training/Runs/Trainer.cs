using System.Globalization;
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
        if (o.Resume is null) RefuseToOverwrite(outDir);
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

        var resolved = ConfigFile.Resolved(recipe, outDir);
        ResumePoint? point = null;
        if (o.Resume is { } request)
        {
            RemoveInterruptedSaves(outDir);
            point = ResumePoint.Find(request, outDir, resolved, log);
            if (point is not null)
            {
                if (point.Step > totalSteps) throw new InvalidDataException($"{point.Path}: at step {point.Step}, beyond this run's {totalSteps} steps");
                point.Restore(method, optimizer, rng);
                log.WriteLine($"resume: continuing from step {point.Step} (epoch {point.Step / loader.BatchesPerEpoch + 1}, " +
                              $"batch {point.Step % loader.BatchesPerEpoch}) of {point.Path}");
            }
        }
        ConfigFile.Save(Path.Combine(outDir, ConfigFile.RunFileName), resolved);
        int startStep = point?.Step ?? 0;
        int startEpoch = startStep / loader.BatchesPerEpoch;
        metrics.DropRowsAfter(startStep);                                              // epochs this run will redo
        log.WriteLine($"{o.Method}: {recipe.Train.Name} ({recipe.Train.Count} images, {recipe.ImageSize}px, {recipe.Channels} ch), " +
                      $"{(recipe.Small ? "small" : "paper")} preset, {recipe.DescribeBackbone()}, batch {recipe.BatchSize}, lr {recipe.Lr:G3}, " +
                      $"{recipe.Epochs} epochs of {loader.BatchesPerEpoch} steps → {outDir}");

        double loss = point?.LastEpochLoss ?? double.NaN; KnnResult? knn = null;
        var lastSave = System.Diagnostics.Stopwatch.GetTimestamp();
        for (int epoch = startEpoch; epoch < recipe.Epochs; epoch++)
        {
            var epochStart = System.Diagnostics.Stopwatch.GetTimestamp();
            int firstBatch = epoch == startEpoch ? startStep % loader.BatchesPerEpoch : 0;      // a mid-epoch resume skips the batches done
            var bar = new ProgressBar($"epoch {epoch + 1}/{recipe.Epochs}", loader.BatchesPerEpoch);
            double lossSum = firstBatch > 0 ? point!.EpochLossSum : 0; int steps = firstBatch, images = 0;
            float lr = 0;
            foreach (var batch in loader.Epoch(epoch, firstBatch))
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
                bool stopping = StopAfterStep > 0 && step + 1 >= StopAfterStep;
                if (steps < loader.BatchesPerEpoch && (stopping || MidEpochSaveDue(steps, lastSave)))
                {
                    Checkpoint.Save(last, Content(method, optimizer, rng, resolved, epoch, step + 1, lossSum, loss));
                    lastSave = System.Diagnostics.Stopwatch.GetTimestamp();
                }
                if (stopping && steps < loader.BatchesPerEpoch)
                    return new TrainResult(o.Method, epoch, lossSum / steps, null, null, last, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
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
            var content = Content(method, optimizer, rng, resolved, epoch + 1, (epoch + 1) * loader.BatchesPerEpoch, 0, loss);
            Checkpoint.Save(Path.Combine(outDir, $"epoch-{epoch + 1:D3}.safetensors"), content);
            Checkpoint.Save(last, content);
            lastSave = System.Diagnostics.Stopwatch.GetTimestamp();
            if (StopAfterStep > 0 && (epoch + 1) * loader.BatchesPerEpoch >= StopAfterStep && epoch + 1 < recipe.Epochs)
                return new TrainResult(o.Method, epoch + 1, loss, knn?.Top1, knn?.Top5, last, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
        return new TrainResult(o.Method, recipe.Epochs, loss, knn?.Top1, knn?.Top5, last,
            System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    /// <summary>Minutes of training between mid-epoch saves when <see cref="TrainOptions.CheckpointEverySteps"/> is not given.</summary>
    public const double DefaultCheckpointMinutes = 10;

    /// <summary>Stop once this many global steps are done, having saved last.safetensors (0: train to the end): an
    /// interrupted run, for tests and time-boxed jobs; `--resume` continues it.</summary>
    public int StopAfterStep { get; init; }

    /// <summary>Whether to save last.safetensors after <paramref name="steps"/> steps of an epoch: every
    /// --checkpoint-every-steps steps, or (by default) once <see cref="DefaultCheckpointMinutes"/> passed since the last save.</summary>
    bool MidEpochSaveDue(int steps, long lastSave) => recipe.Options.CheckpointEverySteps switch
    {
        null => System.Diagnostics.Stopwatch.GetElapsedTime(lastSave).TotalMinutes >= DefaultCheckpointMinutes,
        0 => false,
        int every => steps % every == 0,
    };

    /// <summary>A fresh run never replaces another run's checkpoints (nothing already written is lost): a folder that
    /// holds any .safetensors file is continued with --resume or left alone.</summary>
    static void RefuseToOverwrite(string outDir)
    {
        if (!Directory.Exists(outDir)) return;
        var saved = Directory.GetFiles(outDir, "*.safetensors");
        if (saved.Length > 0)
            throw new IOException($"{outDir} already holds a run ({Path.GetFileName(saved.Order().First())}); " +
                                  "pass --resume to continue it, or choose another --out");
    }

    /// <summary>Deletes the temporary files of saves a killed process left behind (checkpoints, config.yaml and
    /// report.html are only ever renamed into place when complete, so these are partial).</summary>
    void RemoveInterruptedSaves(string outDir)
    {
        if (!Directory.Exists(outDir)) return;
        foreach (var file in Directory.GetFiles(outDir, "*.tmp-*"))                   // AtomicFile's temporaries
        {
            File.Delete(file);
            log.WriteLine($"resume: removed {Path.GetFileName(file)}, left by an interrupted save");
        }
    }

    /// <param name="epoch">Epochs finished.</param>
    /// <param name="step">Global steps done (the next step to run).</param>
    /// <param name="epochLossSum">Losses summed over the steps done in the unfinished epoch (0 at its end).</param>
    /// <param name="lastEpochLoss">Mean loss of the last finished epoch.</param>
    CheckpointContent Content(SslMethod method, Engine.Optim.Optimizer optimizer, Generator rng, TrainOptions resolved, int epoch, int step,
        double epochLossSum, double lastEpochLoss)
    {
        var o = recipe.Options;
        var b = recipe.MethodOptions.Backbone;
        var info = new Dictionary<string, string>
        {
            ["method"] = o.Method, ["epoch"] = epoch.ToString(CultureInfo.InvariantCulture), ["step"] = step.ToString(CultureInfo.InvariantCulture),
            ["seed"] = o.Seed.ToString(CultureInfo.InvariantCulture), ["data"] = o.Data,
            ["config"] = ConfigFile.Format(resolved),
            ["backbone"] = BackboneSpec.From(b, recipe.ImageSize).ToJson(),
            ["rng"] = ResumePoint.FormatGenerator(rng),
            ["epoch_loss_sum"] = epochLossSum.ToString("R", CultureInfo.InvariantCulture),
            ["loss"] = lastEpochLoss.ToString("R", CultureInfo.InvariantCulture),
        };
        return new CheckpointContent(method.StateDict(), optimizer.StateDict(), method.ExtraState(), info);
    }
}
