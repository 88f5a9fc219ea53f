using System.Globalization;
using SelfSup.Engine;
using SelfSup.Methods;

namespace SelfSup.Training;

/// <summary>
/// A checkpoint a run continues from (`selfsup train --resume [auto|FILE]`) and the global step it had reached.
/// A checkpoint qualifies when it loads (Checkpoint.Load checks its whole-file SHA-256 and its metadata) and was made with the same options, except
/// those marked <see cref="RunControlAttribute"/> (where files go, kNN monitoring, loader threads, how often to save):
/// method, data, backbone, width, stem, preset, epochs (the lr and momentum schedules span them), batch size (the batches
/// and steps per epoch), lr, seed (the batches' augmentations) and train-limit (the data) all change what is computed.
/// </summary>
public sealed record ResumePoint(string Path, CheckpointContent Content, int Step)
{
    /// <summary>The checkpoint <paramref name="request"/> names: "auto" the newest valid, matching checkpoint in
    /// <paramref name="outDir"/> (null when there is none: the run starts afresh), otherwise that file, which must be
    /// valid and match. Skipped files are reported on <paramref name="log"/>, one line each.</summary>
    /// <param name="ranks">This run's world size: a checkpoint of another number of ranks qualifies when the global batch
    /// (ranks × --batch-size) is the same, since the sampler, queue, bank and generators are global.</param>
    public static ResumePoint? Find(string request, string outDir, TrainOptions resolved, int ranks, TextWriter log)
    {
        if (request != "auto")
        {
            var content = Checkpoint.Load(request, log);
            if (Mismatch(content, resolved, ranks) is { } why) throw new InvalidDataException($"{request}: made with other options ({why}); not resumable by this run");
            return new ResumePoint(request, content, StepOf(content, request));
        }
        var files = Directory.Exists(outDir)
            ? new DirectoryInfo(outDir).GetFiles("*.safetensors")                          // newest first; last.safetensors before
                .OrderByDescending(f => f.LastWriteTimeUtc).ThenBy(f => f.Name == "last.safetensors" ? 0 : 1).ToArray()   // its epoch twin
            : [];
        string? refused = null;
        foreach (var file in files)
        {
            CheckpointContent content;
            try { content = Checkpoint.Load(file.FullName, log); }
            catch (Exception e) when (e is InvalidDataException or IOException)
            {
                log.WriteLine($"resume: skipping {file.Name}: {e.Message}");
                continue;
            }
            if (Mismatch(content, resolved, ranks) is { } why) { refused ??= $"{file.Name}: made with other options ({why})"; continue; }
            return new ResumePoint(file.FullName, content, StepOf(content, file.Name));
        }
        if (refused is not null) throw new InvalidDataException($"resume: no checkpoint in {outDir} matches this run; {refused}");
        log.WriteLine($"resume: no valid checkpoint in {outDir} yet, starting from scratch");
        return null;
    }

    /// <summary>Why <paramref name="c"/> cannot continue a run of <paramref name="resolved"/>, or null if it can.</summary>
    static string? Mismatch(CheckpointContent c, TrainOptions resolved, int ranks)
    {
        if (c.Info.GetValueOrDefault("method") != resolved.Method) return $"method: {c.Info.GetValueOrDefault("method")} vs {resolved.Method}";
        if (c.Info.GetValueOrDefault("data") != resolved.Data) return $"data: {c.Info.GetValueOrDefault("data")} vs {resolved.Data}";
        TrainOptions saved;
        try { saved = ConfigFile.Load(c.Info.GetValueOrDefault("config") ?? "", "checkpoint config"); }
        catch (Exception e) when (e is ArgumentException or InvalidDataException) { return $"its options are unreadable: {e.Message}"; }
        int savedRanks = RanksOf(c);
        if (savedRanks * saved.BatchSize == ranks * resolved.BatchSize) saved = saved with { BatchSize = resolved.BatchSize };
        else if (savedRanks != ranks)
            return $"global batch: {savedRanks} rank(s) × batch {saved.BatchSize} vs {ranks} × {resolved.BatchSize}; " +
                   $"keep ranks × --batch-size at {savedRanks * saved.BatchSize}";
        var differences = OptionTable.Differences(saved, resolved);
        return differences.Count == 0 ? null : string.Join("; ", differences);
    }

    /// <summary>The ranks that trained the checkpoint (1 for checkpoints older than the record).</summary>
    static int RanksOf(CheckpointContent c) =>
        int.TryParse(c.Info.GetValueOrDefault("ranks"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var r) && r >= 1 ? r : 1;

    /// <summary>The ranks that trained this checkpoint.</summary>
    public int Ranks => RanksOf(Content);

    static int StepOf(CheckpointContent c, string name) =>
        int.TryParse(c.Info.GetValueOrDefault("step"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) && s >= 0 ? s
            : throw new InvalidDataException($"{name}: no training step in its metadata");

    /// <summary>Sum of the losses of the steps already done in the checkpoint's unfinished epoch (0 at an epoch end).</summary>
    public double EpochLossSum => double.TryParse(Content.Info.GetValueOrDefault("epoch_loss_sum"), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : 0;

    /// <summary>Batches of the checkpoint's unfinished epoch skipped for a non-finite loss (--skip-nonfinite; 0 if none).</summary>
    public int EpochSkipped => int.TryParse(Content.Info.GetValueOrDefault("epoch_skipped"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v >= 0 ? v : 0;

    /// <summary>Mean loss of the last finished epoch, if recorded (a run resumed at its very end reports it).</summary>
    public double LastEpochLoss => double.TryParse(Content.Info.GetValueOrDefault("loss"), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : double.NaN;

    /// <summary>Puts weights, optimiser state, the method's queue/bank/samplers and the run's generator back.</summary>
    public void Restore(SslMethod method, Engine.Optim.Optimizer optimizer, Generator rng)
    {
        method.LoadStateDict(Content.Model, strict: true);
        optimizer.LoadStateDict(Content.Optimizer);
        method.LoadExtraState(Content.Extra);
        if (Content.Info.GetValueOrDefault("rng") is { } words) rng.Restore(ParseGenerator(words));
    }

    /// <summary>A generator's 4 state words as hex, comma-separated (checkpoint metadata "rng").</summary>
    public static string FormatGenerator(Generator rng) => string.Join(",", rng.State.Select(w => w.ToString("x16", CultureInfo.InvariantCulture)));

    static ulong[] ParseGenerator(string text) =>
        CheckpointInfo.ParseGenerator(text) ?? throw new InvalidDataException($"checkpoint rng state {Engine.IO.MessageText.Quote(text)} is malformed");
}
