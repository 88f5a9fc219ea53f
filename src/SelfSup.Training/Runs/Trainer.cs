namespace SelfSup.Training;

/// <summary>
/// `selfsup train`: a <see cref="TrainingRun"/> (folder, configuration, method, resume point), then for each epoch its
/// steps (<see cref="EpochLoop"/>) and what follows them (<see cref="EpochEnd"/>: kNN monitor, metrics, report,
/// checkpoint). A batch whose loss or gradients are not finite never reaches the weights (<see cref="NonFiniteGuard"/>),
/// and a checkpoint is committed only once the next batch has proved its state (<see cref="VerifiedCheckpoints"/>).
/// </summary>
public sealed class Trainer(Recipe recipe, TextWriter log)
{
    /// <summary>Stop once this many global steps are done, having saved last.safetensors (0: train to the end): an
    /// interrupted run, for tests and time-boxed jobs; `--resume` continues it.</summary>
    public int StopAfterStep { get; init; }

    /// <summary>The job's ranks under mpirun (one process by default): rank 0 writes the run folder and logs; all ranks
    /// train on their shards of each global batch and stay identical (<see cref="DataParallel"/>).</summary>
    public Distributed.ICommunicator Comm { get; init; } = Distributed.SingleProcess.Instance;

    public TrainResult Run()
    {
        var o = recipe.Options;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        double Elapsed() => System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds;
        using var run = new TrainingRun(recipe, Comm);
        bool writes = Comm.Rank == 0;
        var metrics = new MetricsCsv(Path.Combine(run.OutDir, "metrics.csv"));
        using var report = writes ? new RunReporter(run.OutDir, recipe, log) : null;   // TensorBoard events + report.html
        run.Resume(log);
        if (writes) metrics.DropRowsAfter(run.StartStep);                             // epochs this run will redo
        LogStart(run);

        var guard = new NonFiniteGuard(run.Method, run.Optimizer, o.SkipNonfinite);
        using var saves = new VerifiedCheckpoints(run.Point?.Path, run.StartStep);
        var loop = new EpochLoop(run, guard, saves, report, log, new DataParallel(Comm, run.Method, run.Recipe.Options.CheckReplicas, run.Recipe.SyncBn || run.Recipe.Method.ShufflesBatchNorm)) { StopAfterStep = StopAfterStep };
        var end = new EpochEnd(run, metrics, report, saves, log);
        double loss = run.Point?.LastEpochLoss ?? double.NaN;
        KnnResult? knn = null;
        for (int epoch = run.StartStep / run.StepsPerEpoch; epoch < recipe.Epochs; epoch++)
        {
            var steps = loop.Run(epoch, loss);
            if (steps.Stopped) return new TrainResult(o.Method, epoch, steps.MeanLoss, null, null, run.LastPath, Elapsed());
            bool stopped = StopAfterStep > 0 && (epoch + 1) * run.StepsPerEpoch >= StopAfterStep;
            (loss, knn) = end.Finish(epoch, steps, knn, final: stopped || epoch + 1 == recipe.Epochs);
            loop.Saved();
            if (stopped && epoch + 1 < recipe.Epochs)
                return new TrainResult(o.Method, epoch + 1, loss, knn?.Top1, knn?.Top5, run.LastPath, Elapsed());
        }
        if (run.Point is { } point && run.StartStep == run.TotalSteps) knn = end.FinishCompletedRun(point);
        return new TrainResult(o.Method, recipe.Epochs, loss, knn?.Top1, knn?.Top5, run.LastPath, Elapsed());
    }

    void LogStart(TrainingRun run)
    {
        var o = recipe.Options;
        log.WriteLine($"views: {recipe.ImageSize} px ({recipe.SizeSurvey.Describe()}), {recipe.Channels} channel(s)");
        log.WriteLine($"{o.Method}: {recipe.Train.Name} ({recipe.Train.Count} images, {recipe.ImageSize}px, {recipe.Channels} ch), " +
                      $"{recipe.PresetName} preset, {recipe.DescribeBackbone()}, batch {recipe.BatchSize}, lr {recipe.Lr:G3}, " +
                      $"{recipe.Epochs} epochs of {run.StepsPerEpoch} steps → {run.OutDir}");
        if (Comm.Size > 1)
            log.WriteLine($"data parallel: {Comm.Size} ranks × batch {recipe.BatchSize} = global batch {Comm.Size * recipe.BatchSize} " +
                          $"(lr for the global batch){(recipe.SyncBn ? ", batch norm synchronised" : recipe.Method.ShufflesBatchNorm ? ", shuffling BN across ranks" : ", batch norm per rank (--sync-bn to synchronise)")}");
    }
}
