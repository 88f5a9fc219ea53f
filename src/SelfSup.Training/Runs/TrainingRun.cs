using System.Globalization;
using SelfSup.Distributed;
using SelfSup.Engine;
using SelfSup.Engine.Nn;
using SelfSup.Engine.Optim;
using SelfSup.Methods;
using SelfSup.Vision;

namespace SelfSup.Training;

/// <summary>
/// A run's fixed parts: its folder and resolved configuration, the method, optimiser, loader and schedule built from the
/// recipe, and where it starts (step 0, or the checkpoint <c>--resume</c> continues). The step loop
/// (<see cref="EpochLoop"/>) and the epoch-end duties (<see cref="EpochEnd"/>) work on it.
/// </summary>
public sealed class TrainingRun : IDisposable
{
    public Recipe Recipe { get; }
    /// <summary>The job's ranks (one process: <see cref="SingleProcess"/>); rank 0 alone writes the folder.</summary>
    public ICommunicator Comm { get; }
    public string OutDir { get; }
    /// <summary>The run's last.safetensors.</summary>
    public string LastPath { get; }
    /// <summary>Every option with its resolved value (config.yaml; the resume match).</summary>
    public TrainOptions Resolved { get; }
    /// <summary>Seeds the method; its state is saved in checkpoints.</summary>
    public Generator Rng { get; }
    public SslMethod Method { get; }
    public Optimizer Optimizer { get; }
    public MultiViewLoader Loader { get; }
    public LrSchedule Schedule { get; }
    public int StepsPerEpoch => Loader.BatchesPerEpoch;
    public int TotalSteps => Recipe.Epochs * StepsPerEpoch;
    /// <summary>The checkpoint this run continues, once <see cref="Resume"/> found one.</summary>
    public ResumePoint? Point { get; private set; }
    /// <summary>The first global step to run.</summary>
    public int StartStep => Point?.Step ?? 0;

    /// <summary>Creates the folder on rank 0 (refusing one that holds another run's checkpoints unless resuming) and
    /// builds the method, loader, optimiser and schedule, in that order (the method's initial weights come first from
    /// the seed). With several ranks: each loads its shard of every global batch, batch norm is synchronised under
    /// <c>--sync-bn</c>, and every rank starts from rank 0's weights.</summary>
    public TrainingRun(Recipe recipe, ICommunicator? comm = null)
    {
        Recipe = recipe;
        Comm = comm ?? SingleProcess.Instance;
        var o = recipe.Options;
        OutDir = o.Out ?? Path.Combine("runs", $"{o.Method}-{DateTime.Now:yyyyMMdd-HHmmss}");
        if (Comm.Rank == 0)
        {
            if (o.Resume is null) RefuseToOverwrite(OutDir);
            Directory.CreateDirectory(OutDir);
        }
        LastPath = Path.Combine(OutDir, "last.safetensors");
        Rng = new Generator(o.Seed);
        Method = recipe.CreateMethod(Rng);
        if (Comm.Size > 1) Method.Group = Comm;                                         // the methods' cross-rank exchanges
        if (recipe.SyncBn)
            foreach (var (_, module) in Method.NamedModules())
                if (module is BatchNorm bn) bn.Group = Comm;
        ParameterBroadcast.FromRoot(Comm, Method);
        Loader = new MultiViewLoader(recipe.Train, recipe.Views,
            new LoaderOptions(recipe.BatchSize, o.Seed, o.LoaderThreads, Rank: Comm.Rank, WorldSize: Comm.Size));
        Optimizer = recipe.BuildOptimizer(Method);
        Schedule = recipe.BuildSchedule(Loader.BatchesPerEpoch);
        Resolved = ConfigFile.Resolved(recipe, OutDir);
    }

    /// <summary>With <c>--resume</c>: removes what killed saves left, finds the checkpoint to continue and restores the
    /// method, optimiser and generator from it. Then writes config.yaml.</summary>
    public void Resume(TextWriter log)
    {
        if (Recipe.Options.Resume is { } request)
        {
            if (Comm.Rank == 0) RemoveInterruptedSaves(log);
            Comm.Barrier();                                                             // before any rank reads the folder
            Point = ResumePoint.Find(request, OutDir, Resolved, Comm.Size, log);
            if (Point is not null)
            {
                if (Point.Step > TotalSteps) throw new InvalidDataException($"{Point.Path}: at step {Point.Step}, beyond this run's {TotalSteps} steps");
                Point.Restore(Method, Optimizer, Rng);
                if (Point.Ranks != Comm.Size)
                    log.WriteLine($"resume: the checkpoint was trained by {Point.Ranks} rank(s), this run has {Comm.Size}; the global batch " +
                                  $"({Comm.Size * Recipe.BatchSize}), sampler, queue and bank carry over" +
                                  (PerRankBatchNorm(Point.Ranks) || PerRankBatchNorm(Comm.Size) ? "; batch norm's statistics come from a different share of the batch (per rank, no --sync-bn)" : ""));
                log.WriteLine($"resume: continuing from step {Point.Step} (epoch {Point.Step / StepsPerEpoch + 1}, " +
                              $"batch {Point.Step % StepsPerEpoch}) of {Point.Path}");
            }
        }
        if (Comm.Rank == 0) ConfigFile.Save(Path.Combine(OutDir, ConfigFile.RunFileName), Resolved);
    }

    /// <summary>Whether batch norm of a job of <paramref name="ranks"/> takes each rank's shard alone (neither synchronised
    /// nor MoCo's shuffling BN, whose splits are of the global batch).</summary>
    bool PerRankBatchNorm(int ranks) => ranks > 1 && !Recipe.Options.SyncBn && !Recipe.Method.GlobalBatchNorm && !Recipe.Method.ShufflesBatchNorm;

    /// <summary>What a checkpoint holds after <paramref name="step"/> global steps.</summary>
    /// <param name="epoch">Epochs finished.</param>
    /// <param name="step">Global steps done (the next step to run).</param>
    /// <param name="epochLossSum">Losses summed over the steps done in the unfinished epoch (0 at its end).</param>
    /// <param name="epochSkipped">Batches of the unfinished epoch skipped for a non-finite loss (not in the sum).</param>
    /// <param name="lastEpochLoss">Mean loss of the last finished epoch.</param>
    public CheckpointContent Content(int epoch, int step, double epochLossSum, int epochSkipped, double lastEpochLoss)
    {
        var o = Recipe.Options;
        var info = new Dictionary<string, string>
        {
            ["method"] = o.Method, ["epoch"] = epoch.ToString(CultureInfo.InvariantCulture), ["step"] = step.ToString(CultureInfo.InvariantCulture),
            ["seed"] = o.Seed.ToString(CultureInfo.InvariantCulture), ["data"] = o.Data,
            ["ranks"] = Comm.Size.ToString(CultureInfo.InvariantCulture),
            ["config"] = ConfigFile.Format(Resolved),
            ["backbone"] = BackboneSpec.From(Recipe.MethodOptions.Backbone, Recipe.ImageSize).ToJson(),
            ["rng"] = ResumePoint.FormatGenerator(Rng),
            ["epoch_loss_sum"] = epochLossSum.ToString("R", CultureInfo.InvariantCulture),
            ["epoch_skipped"] = epochSkipped.ToString(CultureInfo.InvariantCulture),
            ["loss"] = lastEpochLoss.ToString("R", CultureInfo.InvariantCulture),
        };
        return new CheckpointContent(Method.StateDict(), Optimizer.StateDict(), Method.ExtraState(), info);
    }

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
    void RemoveInterruptedSaves(TextWriter log)
    {
        foreach (var file in Directory.GetFiles(OutDir, "*.tmp-*"))                   // AtomicFile's temporaries
        {
            File.Delete(file);
            log.WriteLine($"resume: removed {Path.GetFileName(file)}, left by an interrupted save");
        }
    }

    public void Dispose() => Loader.Dispose();
}
