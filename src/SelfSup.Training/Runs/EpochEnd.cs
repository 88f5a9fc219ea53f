using SelfSup.Engine;
using SelfSup.Engine.IO;
using SelfSup.Methods;

namespace SelfSup.Training;

/// <summary>
/// What follows each epoch: the kNN monitor (every <c>--knn-every</c> epochs and after the last), the embeddings' health
/// (<see cref="EmbeddingHealth"/> of a fixed batch: collapse warned of), a metrics.csv row, the report, and the epoch's checkpoint with last.safetensors (staged; committed by the next batch, or at once when no
/// batch follows). Also what a resumed run that finds its work done owes the user: the final state and result.
/// Every rank of a data-parallel run takes part in the kNN monitor (each extracts its shard of the features); only the
/// rank with the <paramref name="report"/> (rank 0) writes.
/// </summary>
public sealed class EpochEnd(TrainingRun run, MetricsCsv metrics, RunReporter? report, VerifiedCheckpoints saves, TextWriter log)
{
    /// <summary>Finishes epoch <paramref name="epoch"/> (0-based) after <paramref name="steps"/>; returns its mean loss and
    /// the newest kNN result (this epoch's when the monitor ran, else <paramref name="knn"/>).</summary>
    /// <param name="final">No batch follows (the last epoch, or the run stops here): the checkpoint is committed now.</param>
    public (double Loss, KnnResult? Knn) Finish(int epoch, EpochSteps steps, KnnResult? knn, bool final)
    {
        var o = run.Recipe.Options;
        double loss = steps.MeanLoss;
        int step = (epoch + 1) * run.StepsPerEpoch;
        bool monitor = epoch == run.Recipe.Epochs - 1 || (o.KnnEvery > 0 && (epoch + 1) % o.KnnEvery == 0);
        if (monitor && Knn() is { } result)
        {
            knn = result;
            log.WriteLine($"epoch {epoch + 1}: loss {loss:F4}, kNN top-1 {knn.Top1:P2} top-5 {knn.Top5:P2}");
        }
        else log.WriteLine($"epoch {epoch + 1}: loss {loss:F4}");
        if (report is null) return (loss, knn);                                         // a rank that writes nothing
        var health = EmbeddingHealth.Measure(run.Method.Backbone, ProbeViews());
        if (health.RelativeStd < EmbeddingHealth.CollapseWarning)
            log.WriteLine($"warning: the embeddings are collapsing: std of the L2-normalised features {health.Std:G3}, " +
                          $"{health.RelativeStd:F2} × the 1/√{health.Dim} of features spread over the sphere (0 is one point for every image)");
        double? top1 = monitor ? knn?.Top1 : null, top5 = monitor ? knn?.Top5 : null;
        metrics.Append(epoch + 1, step, loss, steps.Lr, top1, top5, steps.Images / steps.Seconds, steps.Seconds, health);
        report.Epoch(epoch + 1, step, loss, steps.Lr, top1, top5, steps.Images / steps.Seconds, health);
        saves.Stage(step, run.Content(epoch + 1, step, 0, 0, loss), Path.Combine(run.OutDir, $"epoch-{epoch + 1:D3}.safetensors"), run.LastPath);
        if (final) saves.Commit();                                                      // no next batch will prove it
        return (loss, knn);
    }

    /// <summary>A resumed run whose newest checkpoint is already at the last step (the process was killed after the final
    /// epoch's checkpoint, e.g. while saving last.safetensors): last.safetensors becomes that checkpoint, and the final kNN
    /// the killed process may not have reported runs on its weights, so "done" always means the final state and result.</summary>
    public KnnResult? FinishCompletedRun(ResumePoint point)
    {
        if (report is not null && Path.GetFullPath(point.Path) != Path.GetFullPath(run.LastPath))
        {
            AtomicFile.Write(run.LastPath, to => { using var from = File.OpenRead(point.Path); from.CopyTo(to); });
            log.WriteLine($"resume: the run was complete; {Path.GetFileName(run.LastPath)} is now {Path.GetFileName(point.Path)} (step {point.Step})");
        }
        var knn = Knn();
        if (knn is not null) log.WriteLine($"final: kNN top-1 {knn.Top1:P2} top-5 {knn.Top5:P2}");
        return knn;
    }

    Tensor[]? probeViews;

    /// <summary>The training views of epoch 1's first batch (this rank's shard), the same images and augmentations every
    /// epoch so the health figures compare; the first two views, or one for a method of one.</summary>
    Tensor[] ProbeViews() => probeViews ??= [.. run.Loader.Batch(0, 0).Views.Take(Math.Min(2, run.Method.ViewCount))];

    /// <summary>The kNN monitor on the test split, or null when it has no labels.</summary>
    KnnResult? Knn()
    {
        var (o, data) = (run.Recipe.Options, run.Recipe.Data);
        if (data.Test is not { } test || test.Label(0) < 0) return null;
        Distributed.ParameterBroadcast.BuffersFromRoot(run.Comm, run.Method.Backbone);   // rank 0's running statistics
        return Evaluation.Knn(run.Method.Backbone, data.Train, test, run.Recipe.EvalView, o.KnnK, o.KnnTemperature, o.KnnTrainLimit,
            o.LoaderThreads, log, report is null ? null : report.Features, run.Comm);
    }
}
