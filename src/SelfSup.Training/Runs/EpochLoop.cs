namespace SelfSup.Training;

/// <summary>What one epoch's steps did.</summary>
/// <param name="Steps">Batches of the epoch done (including those done before a mid-epoch resume).</param>
/// <param name="Skipped">Batches skipped for a non-finite loss or gradient (not in <paramref name="LossSum"/>).</param>
/// <param name="Images">Images trained on in this epoch, over all ranks.</param>
/// <param name="Stopped">The run stopped within the epoch (<see cref="EpochLoop.StopAfterStep"/>), its state saved.</param>
public sealed record EpochSteps(double LossSum, int Steps, int Skipped, int Images, float Lr, double Seconds, bool Stopped)
{
    /// <summary>Mean loss of the steps taken (NaN when none was).</summary>
    public double MeanLoss => Steps - Skipped > 0 ? LossSum / (Steps - Skipped) : double.NaN;
}

/// <summary>
/// One epoch of steps: for each batch the loss, backward, <see cref="IStepHooks.GradientsReady"/>, the non-finite check
/// (<see cref="NonFiniteGuard"/>: a bad batch never reaches the weights), the optimiser step and the method's after-step
/// update; last.safetensors is staged every <c>--checkpoint-every-steps</c> (or every few minutes) and committed once the
/// next batch proves its state (<see cref="VerifiedCheckpoints"/>).
/// </summary>
public sealed class EpochLoop(TrainingRun run, NonFiniteGuard guard, VerifiedCheckpoints saves, RunReporter? report,
    TextWriter log, IStepHooks hooks)
{
    /// <summary>Stop once this many global steps are done, having saved last.safetensors (0: never).</summary>
    public int StopAfterStep { get; init; }

    long lastSave = System.Diagnostics.Stopwatch.GetTimestamp();

    /// <summary>Restarts the clock of the time-based mid-epoch saves (a checkpoint was just staged).</summary>
    public void Saved() => lastSave = System.Diagnostics.Stopwatch.GetTimestamp();

    /// <summary>Runs epoch <paramref name="epoch"/> (0-based) from its first batch not yet done.
    /// <paramref name="lastEpochLoss"/> goes into mid-epoch checkpoints.</summary>
    public EpochSteps Run(int epoch, double lastEpochLoss)
    {
        var (method, optimizer, loader, o) = (run.Method, run.Optimizer, run.Loader, run.Recipe.Options);
        int perEpoch = run.StepsPerEpoch;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        bool resumedHere = epoch == run.StartStep / perEpoch;
        int firstBatch = resumedHere ? run.StartStep % perEpoch : 0;          // a mid-epoch resume skips the batches done
        var bar = new ProgressBar($"epoch {epoch + 1}/{run.Recipe.Epochs}", perEpoch);
        double lossSum = firstBatch > 0 ? run.Point!.EpochLossSum : 0;
        int steps = firstBatch, skipped = firstBatch > 0 ? run.Point!.EpochSkipped : 0, images = 0;
        float lr = 0;
        foreach (var batch in loader.Epoch(epoch, firstBatch))
        {
            int step = epoch * perEpoch + steps;
            lr = run.Schedule.At(step);
            optimizer.Lr = lr;
            guard.BeforeForward();
            var l = method.Loss(batch.Views.Take(method.ViewCount).ToArray(), batch.Indices);    // scalar
            float value = hooks.LossOverRanks(l.Item());                                    // the global batch's loss
            optimizer.ZeroGrad();
            if (float.IsFinite(value)) hooks.Backward(l);                                 // gradient buckets go out meanwhile
            hooks.GradientsReady(method);
            string where = $"epoch {epoch + 1}, step {steps + 1} (global step {step + 1})";
            if (guard.Problem(value) is { } problem)                                       // before the step touches any weight
            {
                if (!guard.CanSkip) throw Diverged(problem, where, saves.LastGood);
                guard.Skip();
                log.WriteLine($"warning: skipped the batch of {where}: {problem} ({guard.Skipped} of --skip-nonfinite {o.SkipNonfinite})");
                skipped++;
            }
            else
            {
                saves.Commit();                                                            // this batch proved the state before it
                optimizer.Step();
                if (guard.WeightProblem() is { } overflow) throw Diverged(overflow, where, saves.LastGood);
                method.AfterStep(step, run.TotalSteps);
                hooks.StepTaken(method, step);
                report?.Step(step, value, lr);
                lossSum += value; images += batch.Count * run.Comm.Size;                // every rank's shard is this size
            }
            steps++;
            double seconds = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds;
            var done = new EpochSteps(lossSum, steps, skipped, images, lr, seconds, Stopped: false);
            if (hooks.Writes) bar.Report(steps, $"loss {done.MeanLoss:F4} lr {lr:G3} {images / seconds:F0} img/s");
            bool stopping = StopAfterStep > 0 && step + 1 >= StopAfterStep;
            if (steps < perEpoch && (stopping || MidEpochSaveDue(steps)))
            {
                if (hooks.Writes) saves.Stage(step + 1, run.Content(epoch, step + 1, lossSum, skipped, lastEpochLoss), run.LastPath);
                if (stopping) saves.Commit();
                Saved();
            }
            if (stopping && steps < perEpoch) return done with { Stopped = true };
        }
        return new EpochSteps(lossSum, steps, skipped, images, lr, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds, Stopped: false);
    }

    /// <summary>Minutes of training between mid-epoch saves when <see cref="TrainOptions.CheckpointEverySteps"/> is not given.</summary>
    public const double DefaultCheckpointMinutes = 10;

    /// <summary>Whether to save last.safetensors after <paramref name="steps"/> steps of an epoch: every
    /// --checkpoint-every-steps steps, or (by default) once <see cref="DefaultCheckpointMinutes"/> passed since the last save.</summary>
    bool MidEpochSaveDue(int steps) => run.Recipe.Options.CheckpointEverySteps switch
    {
        null => System.Diagnostics.Stopwatch.GetElapsedTime(lastSave).TotalMinutes >= DefaultCheckpointMinutes,
        0 => false,
        int every => steps % every == 0,
    };

    /// <summary>The error that ends a diverged run: what was not finite, where, and the checkpoint that is still good.</summary>
    static InvalidOperationException Diverged(string problem, string where, (string Path, int Step)? lastGood) =>
        new($"training diverged at {where}: {problem}; the step was not applied. " +
            (lastGood is { } g ? $"Last good checkpoint: {g.Path} (step {g.Step}). " : "No checkpoint was written yet. ") +
            "Try a lower --lr, or --skip-nonfinite N to skip up to N such batches");
}
