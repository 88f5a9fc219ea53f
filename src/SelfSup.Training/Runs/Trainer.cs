using System.Globalization;
using SelfSup.Engine;
using SelfSup.Engine.IO;
using SelfSup.Methods;
using SelfSup.Vision;

namespace SelfSup.Training;

/// <summary>
/// The training loop of `selfsup train`: for each batch of views, the method's loss, backward, optimiser step and the
/// method's after-step update; after each epoch a kNN monitor, a metrics.csv row and a checkpoint (plus last.safetensors).
/// A batch whose loss or gradients are not finite never reaches the weights (<see cref="NonFiniteGuard"/>), and a
/// checkpoint is committed only once the next batch has proved its state (<see cref="VerifiedCheckpoints"/>).
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
        var method = recipe.CreateMethod(rng);
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
        log.WriteLine($"views: {recipe.ImageSize} px ({recipe.SizeSurvey.Describe()}), {recipe.Channels} channel(s)");
        log.WriteLine($"{o.Method}: {recipe.Train.Name} ({recipe.Train.Count} images, {recipe.ImageSize}px, {recipe.Channels} ch), " +
                      $"{(recipe.Small ? "small" : "paper")} preset, {recipe.DescribeBackbone()}, batch {recipe.BatchSize}, lr {recipe.Lr:G3}, " +
                      $"{recipe.Epochs} epochs of {loader.BatchesPerEpoch} steps → {outDir}");

        double loss = point?.LastEpochLoss ?? double.NaN; KnnResult? knn = null;
        var guard = new NonFiniteGuard(method, optimizer, o.SkipNonfinite);
        using var saves = new VerifiedCheckpoints(point?.Path, point?.Step ?? 0);
        var lastSave = System.Diagnostics.Stopwatch.GetTimestamp();
        for (int epoch = startEpoch; epoch < recipe.Epochs; epoch++)
        {
            var epochStart = System.Diagnostics.Stopwatch.GetTimestamp();
            int firstBatch = epoch == startEpoch ? startStep % loader.BatchesPerEpoch : 0;      // a mid-epoch resume skips the batches done
            var bar = new ProgressBar($"epoch {epoch + 1}/{recipe.Epochs}", loader.BatchesPerEpoch);
            double lossSum = firstBatch > 0 ? point!.EpochLossSum : 0;
            int steps = firstBatch, skipped = firstBatch > 0 ? point!.EpochSkipped : 0, images = 0;
            float lr = 0;
            foreach (var batch in loader.Epoch(epoch, firstBatch))
            {
                int step = epoch * loader.BatchesPerEpoch + steps;
                lr = schedule.At(step);
                optimizer.Lr = lr;
                guard.BeforeForward();
                var l = method.Loss(batch.Views.Take(method.ViewCount).ToArray(), batch.Indices);    // scalar
                float value = l.Item();
                optimizer.ZeroGrad();
                if (float.IsFinite(value)) l.Backward();
                string where = $"epoch {epoch + 1}, step {steps + 1} (global step {step + 1})";
                if (guard.Problem(value) is { } problem)                                   // before the step touches any weight
                {
                    if (!guard.CanSkip) throw Diverged(problem, where, saves.LastGood);
                    guard.Skip();
                    log.WriteLine($"warning: skipped the batch of {where}: {problem} ({guard.Skipped} of --skip-nonfinite {o.SkipNonfinite})");
                    skipped++;
                }
                else
                {
                    saves.Commit();                                                        // this batch proved the state before it
                    optimizer.Step();
                    if (guard.WeightProblem() is { } overflow) throw Diverged(overflow, where, saves.LastGood);
                    method.AfterStep(step, totalSteps);
                    report.Step(step, value, lr);
                    lossSum += value; images += batch.Count;
                }
                steps++;
                double seconds = System.Diagnostics.Stopwatch.GetElapsedTime(epochStart).TotalSeconds;
                bar.Report(steps, $"loss {MeanLoss(lossSum, steps - skipped):F4} lr {lr:G3} {images / seconds:F0} img/s");
                bool stopping = StopAfterStep > 0 && step + 1 >= StopAfterStep;
                if (steps < loader.BatchesPerEpoch && (stopping || MidEpochSaveDue(steps, lastSave)))
                {
                    saves.Stage(step + 1, Content(method, optimizer, rng, resolved, epoch, step + 1, lossSum, skipped, loss), last);
                    if (stopping) saves.Commit();
                    lastSave = System.Diagnostics.Stopwatch.GetTimestamp();
                }
                if (stopping && steps < loader.BatchesPerEpoch)
                    return new TrainResult(o.Method, epoch, MeanLoss(lossSum, steps - skipped), null, null, last, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
            }
            loss = MeanLoss(lossSum, steps - skipped);
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
            var content = Content(method, optimizer, rng, resolved, epoch + 1, (epoch + 1) * loader.BatchesPerEpoch, 0, 0, loss);
            saves.Stage((epoch + 1) * loader.BatchesPerEpoch, content, Path.Combine(outDir, $"epoch-{epoch + 1:D3}.safetensors"), last);
            bool stopped = StopAfterStep > 0 && (epoch + 1) * loader.BatchesPerEpoch >= StopAfterStep;
            if (stopped || epoch + 1 == recipe.Epochs) saves.Commit();               // no next batch will prove it
            lastSave = System.Diagnostics.Stopwatch.GetTimestamp();
            if (stopped && epoch + 1 < recipe.Epochs)
                return new TrainResult(o.Method, epoch + 1, loss, knn?.Top1, knn?.Top5, last, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
        if (point is not null && startStep == totalSteps) knn = FinishCompletedRun(point, last, method, report);
        return new TrainResult(o.Method, recipe.Epochs, loss, knn?.Top1, knn?.Top5, last,
            System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    /// <summary>A resumed run whose newest checkpoint is already at the last step (the process was killed after the final
    /// epoch's checkpoint, e.g. while saving last.safetensors): last.safetensors becomes that checkpoint, and the final kNN
    /// the killed process may not have reported runs on its weights, so "done" always means the final state and result.</summary>
    KnnResult? FinishCompletedRun(ResumePoint point, string last, SslMethod method, RunReporter report)
    {
        var o = recipe.Options;
        if (Path.GetFullPath(point.Path) != Path.GetFullPath(last))
        {
            AtomicFile.Write(last, to => { using var from = File.OpenRead(point.Path); from.CopyTo(to); });
            log.WriteLine($"resume: the run was complete; {Path.GetFileName(last)} is now {Path.GetFileName(point.Path)} (step {point.Step})");
        }
        if (recipe.Data.Test is not { } test || test.Label(0) < 0) return null;
        var knn = Evaluation.Knn(method.Backbone, recipe.Data.Train, test, recipe.EvalView, o.KnnK, o.KnnTemperature, o.KnnTrainLimit, o.LoaderThreads, log, report.Features);
        log.WriteLine($"final: kNN top-1 {knn.Top1:P2} top-5 {knn.Top5:P2}");
        return knn;
    }

    /// <summary>Mean of the losses of <paramref name="counted"/> steps (NaN when none was taken).</summary>
    static double MeanLoss(double sum, int counted) => counted > 0 ? sum / counted : double.NaN;

    /// <summary>The error that ends a diverged run: what was not finite, where, and the checkpoint that is still good.</summary>
    static InvalidOperationException Diverged(string problem, string where, (string Path, int Step)? lastGood) =>
        new($"training diverged at {where}: {problem}; the step was not applied. " +
            (lastGood is { } g ? $"Last good checkpoint: {g.Path} (step {g.Step}). " : "No checkpoint was written yet. ") +
            "Try a lower --lr, or --skip-nonfinite N to skip up to N such batches");

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
    /// <param name="epochSkipped">Batches of the unfinished epoch skipped for a non-finite loss (not in the sum).</param>
    /// <param name="lastEpochLoss">Mean loss of the last finished epoch.</param>
    CheckpointContent Content(SslMethod method, Engine.Optim.Optimizer optimizer, Generator rng, TrainOptions resolved, int epoch, int step,
        double epochLossSum, int epochSkipped, double lastEpochLoss)
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
            ["epoch_skipped"] = epochSkipped.ToString(CultureInfo.InvariantCulture),
            ["loss"] = lastEpochLoss.ToString("R", CultureInfo.InvariantCulture),
        };
        return new CheckpointContent(method.StateDict(), optimizer.StateDict(), method.ExtraState(), info);
    }
}
