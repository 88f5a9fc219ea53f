using System.Globalization;
using SelfSup.Engine;
using SelfSup.Vision;
using Xunit;

namespace SelfSup.Training.Tests;

/// <summary>End-to-end runs of the trainer on a tiny MNIST-format folder it writes itself (two classes of stripes).</summary>
public class TrainerTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("selfsup-train-").FullName;
    public void Dispose() => Directory.Delete(root, recursive: true);

    string WriteData(int train = 64, int test = 32)
    {
        var dir = Path.Combine(root, "data");
        Directory.CreateDirectory(dir);
        var rng = new Generator(5);
        foreach (var (prefix, n) in new[] { ("train", train), ("t10k", test) })
        {
            var pixels = new byte[n * 16 * 16]; var labels = new byte[n];
            for (int i = 0; i < n; i++)
            {
                labels[i] = (byte)(i % 2);
                for (int y = 0; y < 16; y++)
                    for (int x = 0; x < 16; x++)                                // class 0: vertical stripes, 1: horizontal
                        pixels[i * 256 + y * 16 + x] = (byte)(((labels[i] == 0 ? x : y) % 4 < 2 ? 200 : 30) + rng.NextInt(20));
            }
            IdxFile.Write(Path.Combine(dir, $"{prefix}-images-idx3-ubyte"), [n, 16, 16], pixels);
            IdxFile.Write(Path.Combine(dir, $"{prefix}-labels-idx1-ubyte"), [n], labels);
        }
        return "mnist-idx:" + dir;
    }

    TrainOptions Options(string data, string outDir, int epochs, bool resume = false) => new()
    {
        Method = "mocov2", Data = data, Width = 4, Epochs = epochs, BatchSize = 16, Out = outDir, Resume = resume ? "auto" : null,
        LoaderThreads = 1, KnnK = 5, Seed = 3,
    };

    [Fact]
    public void A_run_writes_metrics_checkpoints_and_reports_knn()
    {
        var data = WriteData();
        var outDir = Path.Combine(root, "run");
        var result = new Trainer(Recipe.Resolve(Options(data, outDir, epochs: 2)), TextWriter.Null).Run();
        Assert.Equal(2, result.Epochs);
        Assert.True(double.IsFinite(result.Loss));
        Assert.InRange(result.KnnTop1!.Value, 0.0, 1.0);
        var rows = File.ReadAllLines(Path.Combine(outDir, "metrics.csv"));
        Assert.Equal(MetricsCsv.Header, rows[0]);
        Assert.Equal(3, rows.Length);
        Assert.StartsWith("2,8,", rows[2]);                                     // epoch 2 ends at step 2·(64/16)
        var health = ReportHtml.ReadMetrics(Path.Combine(outDir, "metrics.csv"));   // the collapse metric, every epoch
        Assert.All(health, e => Assert.InRange(e.EmbeddingStd!.Value, 1e-4, 1.0));
        Assert.All(health, e => Assert.InRange(e.Alignment!.Value, 0.0, 4.0));
        Assert.All(health, e => Assert.InRange(e.Uniformity!.Value, -4.0, 0.0));
        Assert.Contains("Embedding spread", File.ReadAllText(Path.Combine(outDir, "report.html")));
        Assert.True(File.Exists(Path.Combine(outDir, "epoch-001.safetensors")));
        var last = Checkpoint.Load(Path.Combine(outDir, "last.safetensors"));
        Assert.Equal("2", last.Info["epoch"]);
        Assert.True(last.Extra.Contains("queue"));                              // MoCo's queue travels with the checkpoint
    }

    [Fact]
    public void Resuming_after_epoch_one_ends_where_a_straight_run_ends()
    {
        var data = WriteData();
        var straightDir = Path.Combine(root, "straight");
        var straight = new Trainer(Recipe.Resolve(Options(data, straightDir, epochs: 2)), TextWriter.Null).Run();

        var stoppedDir = Path.Combine(root, "stopped");                         // as if killed after epoch 1
        Directory.CreateDirectory(stoppedDir);
        File.Copy(Path.Combine(straightDir, "epoch-001.safetensors"), Path.Combine(stoppedDir, "last.safetensors"));
        var resumed = new Trainer(Recipe.Resolve(Options(data, stoppedDir, epochs: 2, resume: true)), TextWriter.Null).Run();

        Assert.Equal(straight.Loss, resumed.Loss, 3);
        var a = Checkpoint.Load(straight.Checkpoint).Model.Float("backbone.conv1.weight").ToArray();
        var b = Checkpoint.Load(resumed.Checkpoint).Model.Float("backbone.conv1.weight").ToArray();
        for (int i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i], 3);
    }

    [Fact]
    public void Resume_refuses_a_checkpoint_of_another_method()
    {
        var data = WriteData();
        var outDir = Path.Combine(root, "other");
        new Trainer(Recipe.Resolve(Options(data, outDir, epochs: 1)), TextWriter.Null).Run();
        var simclr = Options(data, outDir, epochs: 2, resume: true) with { Method = "simclr" };
        var e = Assert.Throws<InvalidDataException>(() => new Trainer(Recipe.Resolve(simclr), TextWriter.Null).Run());
        Assert.Contains("mocov2", e.Message);
    }

    [Fact]
    public void A_fresh_run_into_a_folder_holding_a_run_refuses_and_keeps_its_files()
    {
        var data = WriteData();
        var outDir = Path.Combine(root, "taken");
        new Trainer(Recipe.Resolve(Options(data, outDir, epochs: 1)), TextWriter.Null).Run();
        var before = File.ReadAllBytes(Path.Combine(outDir, "last.safetensors"));
        var metrics = File.ReadAllText(Path.Combine(outDir, "metrics.csv"));

        var e = Assert.Throws<IOException>(() => new Trainer(Recipe.Resolve(Options(data, outDir, epochs: 2)), TextWriter.Null).Run());
        Assert.Contains("--resume", e.Message);
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(outDir, "last.safetensors")));
        Assert.Equal(metrics, File.ReadAllText(Path.Combine(outDir, "metrics.csv")));
    }
}
