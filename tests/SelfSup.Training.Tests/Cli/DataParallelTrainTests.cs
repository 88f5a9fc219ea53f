using System.Diagnostics;
using System.Globalization;
using Xunit;

namespace SelfSup.Training.Tests;

/// <summary>
/// `mpirun -np 2 selfsup train`: two ranks of batch B train as one process of batch 2B. BYOL with --sync-bn is the
/// method whose exchange is complete today (its loss is per sample; SyncBN makes every batch norm see the global batch);
/// the others' cross-rank parts (shuffle BN, all-gathered negatives, Barlow Twins' correlation) come next. These runs
/// are compared over four steps (two epochs of two), against the distance a 1e-6 change of the lr makes.
/// </summary>
public sealed class DataParallelTrainTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("selfsup-ddp-").FullName;
    public void Dispose() { if (Environment.GetEnvironmentVariable("SELFSUP_KEEP_DDP") is null) Directory.Delete(dir, recursive: true); }

    string[] Args(int batch, string outDir) =>
    [
        "train", "--method", "byol", "--data", TinyData.Write(Path.Combine(dir, "data")), "--width", "4", "--epochs", "2",
        "--train-limit", "64", "--batch-size", $"{batch}", "--sync-bn", "--knn-every", "0", "--threads", "1",
        "--loader-threads", "1", "--out", outDir,
    ];

    static CliRun.Result RunRanks(int ranks, string[] args)
    {
        var info = CliRun.StartInfo(args);
        string[] launcher = ["--oversubscribe", "-np", $"{ranks}", "--mca", "btl", "self,vader,tcp", info.FileName];
        for (int i = launcher.Length - 1; i >= 0; i--) info.ArgumentList.Insert(0, launcher[i]);
        info.FileName = "mpirun";
        info.Environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1";                       // CI runs as root; users' commands never need it
        info.Environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1";
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2))) { process.Kill(entireProcessTree: true); Assert.Fail("mpirun did not end within 2 minutes"); }
        return new CliRun.Result(process.ExitCode, stdout.Result, stderr.Result);
    }

    static double[] Losses(string outDir) =>
        [.. File.ReadLines(Path.Combine(outDir, "metrics.csv")).Skip(1).Select(l => double.Parse(l.Split(',')[2], CultureInfo.InvariantCulture))];

    [Fact]
    public void Two_ranks_of_batch_B_train_as_one_process_of_batch_2B()
    {
        string one = Path.Combine(dir, "one"), two = Path.Combine(dir, "two");
        var single = CliRun.Run(Args(32, one));
        Assert.True(single.ExitCode == 0, single.Stderr);
        var ranks = RunRanks(2, Args(16, two));
        Assert.True(ranks.ExitCode == 0, ranks.Stderr);
        Assert.Contains("data parallel: 2 ranks × batch 16 = global batch 32", ranks.Stderr);
        Assert.Single(ranks.Stdout.Split('\n'), l => l.Contains("byol: 2 epochs"));       // rank 0 alone reports

        var (a, b) = (Losses(one), Losses(two));
        Assert.Equal(2, b.Length);                                              // 2 epochs of 2 steps
        for (int epoch = 0; epoch < 2; epoch++) Assert.True(Math.Abs(a[epoch] - b[epoch]) < 1e-4 * Math.Abs(a[epoch]), $"epoch {epoch + 1}: {a[epoch]} vs {b[epoch]}");
        // The weights: no farther from the one-process run than a 1e-6 change of the lr takes it (float noise, grown by
        // four chaotic steps), and far closer than a different batch would.
        string nudged = Path.Combine(dir, "nudged");
        Assert.Equal(0, CliRun.Run([.. Args(32, nudged), "--lr", "0.1250001"]).ExitCode);    // BYOL small: 1.0·32/256 = 0.125
        var reference = Weights(one);
        float ddp = MaxDifference(reference, Weights(two)), noise = MaxDifference(reference, Weights(nudged));
        Assert.True(ddp <= Math.Max(10 * noise, 1e-5f), $"2 ranks differ by {ddp}, a 1e-6 lr change by {noise}");
    }

    static Engine.StateDict Weights(string outDir) => Checkpoint.Load(Path.Combine(outDir, "last.safetensors")).Model;

    static float MaxDifference(Engine.StateDict a, Engine.StateDict b)
    {
        float max = 0;
        foreach (var (name, entry) in a)
            if (entry.Float is { } t)
                max = Math.Max(max, t.ToArray().Zip(b[name].Float!.ToArray(), (x, y) => MathF.Abs(x - y)).Max());
        return max;
    }
}
