using System.Diagnostics;
using System.Globalization;
using Xunit;

namespace SelfSup.Training.Tests;

/// <summary>
/// A rank that dies or hangs in `mpirun -np 2 selfsup train`: every process exits within a minute with a non-zero code
/// and a message naming the rank, no checkpoint is left half-written, and `--resume` finishes the run — with one rank
/// (batch 2B, the same global batch) after a kill, and with two ranks bit for bit as the run that was never interrupted.
/// The rank is found by its OMPI_COMM_WORLD_RANK among the processes of this test's run folder, then sent SIGKILL (a
/// crash) or SIGSTOP (a hang: the process stays, silent, wherever it was, even inside a collective).
/// </summary>
[Trait("Category", "Mpi")]
public sealed class DataParallelFaultTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("selfsup-fault-").FullName;
    public void Dispose() => Directory.Delete(dir, recursive: true);

    const int Epochs = 120;                                                    // 240 steps: several seconds, long enough to interrupt

    string[] Args(string outDir, int batch, params string[] extra) =>
    [
        "train", "--method", "byol", "--data", TinyData.Write(Path.Combine(dir, "data")), "--width", "4", "--epochs", $"{Epochs}",
        "--train-limit", "64", "--batch-size", $"{batch}", "--knn-every", "0", "--threads", "1", "--loader-threads", "1",
        "--checkpoint-every-steps", "1", "--out", outDir, .. extra,
    ];

    /// <summary>Starts the 2-rank job, waits for its first checkpoint, sends rank 1 <paramref name="signal"/>, and returns
    /// the job's result and the seconds from the signal to the job's end.</summary>
    static (CliRun.Result Result, double Seconds) Interrupt(string[] args, string outDir, string signal)
    {
        var job = DataParallelTrainTests.StartRanks(2, args);
        var wait = Stopwatch.StartNew();
        while (!File.Exists(Path.Combine(outDir, "last.safetensors")) && wait.Elapsed < TimeSpan.FromSeconds(60) && !job.Process.HasExited)
            Thread.Sleep(100);
        Thread.Sleep(300);
        int pid = RankProcess(outDir, rank: 1);
        Assert.True(Process.Start("kill", [$"-{signal}", $"{pid}"])!.WaitForExit(5000));
        var clock = Stopwatch.StartNew();
        var result = DataParallelTrainTests.Finish(job, TimeSpan.FromSeconds(90));
        if (signal == "STOP") try { Process.GetProcessById(pid).Kill(); } catch (ArgumentException) { }   // gone already
        return (result, clock.Elapsed.TotalSeconds);
    }

    /// <summary>The process of rank <paramref name="rank"/> of the job writing <paramref name="outDir"/>.</summary>
    static int RankProcess(string outDir, int rank)
    {
        foreach (var proc in Directory.GetDirectories("/proc").Select(Path.GetFileName).Where(n => n!.All(char.IsDigit)))
        {
            try
            {
                if (!File.ReadAllText($"/proc/{proc}/cmdline").Contains(outDir)) continue;
                if (File.ReadAllText($"/proc/{proc}/environ").Split('\0').Contains($"OMPI_COMM_WORLD_RANK={rank}")) return int.Parse(proc!, CultureInfo.InvariantCulture);
            }
            catch (IOException) { }                                             // a process that ended meanwhile
            catch (UnauthorizedAccessException) { }
        }
        Assert.Fail($"no process of rank {rank} writes {outDir}: the run ended before it could be interrupted");
        return -1;
    }

    static int EpochsDone(string outDir) => File.ReadLines(Path.Combine(outDir, "metrics.csv")).Count() - 1;

    [Fact]
    public void A_killed_rank_ends_the_job_within_a_minute_and_one_rank_resumes_it_to_the_end()
    {
        string outDir = Path.Combine(dir, "killed");
        var (result, seconds) = Interrupt(Args(outDir, 16), outDir, "KILL");
        Assert.NotEqual(0, result.ExitCode);
        Assert.True(seconds < 60, $"the job took {seconds:F0} s to end after the kill");
        Assert.Matches(@"rank 1 .*(exited on signal 9|killed)", result.Stderr.Replace('\n', ' '));
        Assert.True(EpochsDone(outDir) < Epochs, "the run had finished before the kill");

        var resumed = CliRun.Run(Args(outDir, 32, "--resume"));                  // one rank, the same global batch of 32
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        Assert.Contains("the checkpoint was trained by 2 rank(s), this run has 1", resumed.Stderr);
        Assert.Contains($"byol: {Epochs} epochs", resumed.Stdout);
        Assert.Equal(Epochs, EpochsDone(outDir));
        Assert.Empty(Directory.GetFiles(outDir, "*.tmp-*"));
    }

    [Fact]
    public void A_hung_rank_is_named_within_a_minute_and_two_ranks_resume_bit_for_bit()
    {
        string outDir = Path.Combine(dir, "hung"), straight = Path.Combine(dir, "straight");
        var (result, seconds) = Interrupt(Args(outDir, 16, "--rank-timeout", "5"), outDir, "STOP");
        Assert.NotEqual(0, result.ExitCode);
        Assert.True(seconds < 60, $"the job took {seconds:F0} s to end after rank 1 stopped");
        Assert.Contains("selfsup: rank 0 of 2: ", result.Stderr);
        Assert.Contains("rank 1 never reached it", result.Stderr);
        foreach (var checkpoint in Directory.GetFiles(outDir, "*.safetensors")) Checkpoint.Load(checkpoint);     // all whole

        var otherBatch = CliRun.Run(Args(outDir, 16, "--resume"));             // one rank of 16: a global batch of 16 is another run
        Assert.NotEqual(0, otherBatch.ExitCode);
        Assert.Contains("global batch: 2 rank(s) × batch 16 vs 1 × 16; keep ranks × --batch-size at 32", otherBatch.Stderr);

        var resumed = DataParallelTrainTests.RunRanks(2, Args(outDir, 16, "--resume"));
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        Assert.Contains("resume: continuing from step", resumed.Stderr);
        var uninterrupted = DataParallelTrainTests.RunRanks(2, Args(straight, 16));
        Assert.True(uninterrupted.ExitCode == 0, uninterrupted.Stderr);
        ResumeTests.AssertSameState(Path.Combine(straight, "last.safetensors"), Path.Combine(outDir, "last.safetensors"));
    }
}
