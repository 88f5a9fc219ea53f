using System.Diagnostics;
using System.Text;
using Xunit;

namespace SelfSup.Training.Tests;

/// <summary>A `selfsup train` process killed mid-epoch and started again with --resume continues from its last
/// mid-epoch checkpoint and finishes; no checkpoint is corrupt and no temporary file is left.</summary>
public class KilledRunTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("selfsup-killed-").FullName;
    public void Dispose() => Directory.Delete(root, recursive: true);

    /// <summary>Starts the CLI (<see cref="CliRun.StartInfo"/>) with
    /// <paramref name="args"/>; stderr is collected into <paramref name="stderr"/>.</summary>
    static Process Start(string[] args, StringBuilder stderr)
    {
        var info = CliRun.StartInfo(args);
        var process = new Process { StartInfo = info };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        process.OutputDataReceived += (_, _) => { };
        process.Start();
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        return process;
    }

    static int? StepOf(string path)
    {
        try { return File.Exists(path) ? int.Parse(Checkpoint.Load(path).Info["step"]) : null; }
        catch (Exception e) when (e is IOException or InvalidDataException) { return null; }
    }

    [Fact]
    public void A_run_killed_mid_epoch_resumes_from_its_last_step_and_finishes()
    {
        var data = TinyData.Write(Path.Combine(root, "data"), train: 512);   // 16 steps of 32 per epoch
        var outDir = Path.Combine(root, "run");
        string[] args = ["train", "--method", "mocov2", "--data", data, "--width", "4", "--batch-size", "32", "--epochs", "2",
            "--knn-k", "5", "--out", outDir, "--checkpoint-every-steps", "1", "--threads", "1", "--loader-threads", "1"];
        var last = Path.Combine(outDir, "last.safetensors");

        var firstLog = new StringBuilder();
        using (var first = Start(args, firstLog))
        {
            var deadline = Stopwatch.StartNew();
            while (!(StepOf(last) is int s && s % 16 >= 3) && !first.HasExited && deadline.Elapsed < TimeSpan.FromSeconds(40))
                Thread.Sleep(20);
            Assert.False(first.HasExited, $"the run ended before it could be killed:\n{firstLog}");
            first.Kill(entireProcessTree: true);
            first.WaitForExit();
        }
        int step = StepOf(last) ?? throw new Xunit.Sdk.XunitException("last.safetensors is unreadable after the kill");
        Assert.InRange(step, 3, 31);

        var secondLog = new StringBuilder();
        using (var second = Start([.. args, "--resume"], secondLog))
        {
            Assert.True(second.WaitForExit(TimeSpan.FromSeconds(60)), "the resumed run did not finish in 60 s");
            second.WaitForExit();
            Assert.True(second.ExitCode == 0, $"exit {second.ExitCode}:\n{secondLog}");
        }
        Assert.Contains($"resume: continuing from step {step} (epoch {step / 16 + 1}, batch {step % 16})", secondLog.ToString());
        Assert.Equal(32, StepOf(last));
        Assert.Empty(Directory.GetFiles(outDir, "*.tmp*"));
        foreach (var file in Directory.GetFiles(outDir, "*.safetensors")) Checkpoint.Load(file);     // none corrupt
        Assert.Equal(new[] { "epoch-001.safetensors", "epoch-002.safetensors", "last.safetensors" },
            Directory.GetFiles(outDir, "*.safetensors").Select(f => Path.GetFileName(f)).Order().ToArray());
    }
}
