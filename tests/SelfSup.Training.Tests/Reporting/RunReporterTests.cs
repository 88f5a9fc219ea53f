using System.Text.RegularExpressions;
using SelfSup.Engine;
using SelfSup.Vision;
using Xunit;

namespace SelfSup.Training.Tests;

/// <summary>A real two-epoch run on a tiny MNIST-format folder: its event file and report.html.</summary>
public class RunReporterTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("selfsup-runreport-").FullName;
    public void Dispose() => Directory.Delete(root, recursive: true);

    /// <summary>64 training and 32 test images of 16×16: class 0 vertical stripes, class 1 horizontal.</summary>
    internal static string WriteStripes(string root)
    {
        var dir = Path.Combine(root, "data");
        Directory.CreateDirectory(dir);
        var rng = new Generator(5);
        foreach (var (prefix, n) in new[] { ("train", 64), ("t10k", 32) })
        {
            var pixels = new byte[n * 256]; var labels = new byte[n];
            for (int i = 0; i < n; i++)
            {
                labels[i] = (byte)(i % 2);
                for (int y = 0; y < 16; y++)
                    for (int x = 0; x < 16; x++)
                        pixels[i * 256 + y * 16 + x] = (byte)(((labels[i] == 0 ? x : y) % 4 < 2 ? 200 : 30) + rng.NextInt(20));
            }
            IdxFile.Write(Path.Combine(dir, $"{prefix}-images-idx3-ubyte"), [n, 16, 16], pixels);
            IdxFile.Write(Path.Combine(dir, $"{prefix}-labels-idx1-ubyte"), [n], labels);
        }
        return "mnist-idx:" + dir;
    }

    internal static string Train(string root, int epochs = 2, int knnEvery = 1)
    {
        var outDir = Path.Combine(root, "run");
        var options = new TrainOptions
        {
            Method = "mocov2", Data = WriteStripes(root), Width = 4, Epochs = epochs, BatchSize = 16, Out = outDir,
            LoaderThreads = 1, KnnK = 5, Seed = 3, KnnEvery = knnEvery,
        };
        new Trainer(Recipe.Resolve(options), TextWriter.Null).Run();
        return outDir;
    }

    [Fact]
    public void A_run_writes_an_event_file_with_every_step_and_epoch_scalar()
    {
        var outDir = Train(root);
        var file = Assert.Single(Directory.GetFiles(outDir, "events.out.tfevents.*"));
        var events = EventFileReader.Read(file);
        Assert.Equal("brain.Event:2", events[0].FileVersion);
        var byTag = events.SelectMany(e => e.Values.Select(v => (e.Step, v.Tag, v.Value))).GroupBy(x => x.Tag)
            .ToDictionary(g => g.Key, g => g.Select(x => (x.Step, x.Value)).ToList());
        Assert.Equal(Enumerable.Range(0, 8).Select(s => (long)s), byTag["train/loss"].Select(p => p.Step));   // 2 epochs × 64/16 steps
        Assert.Equal(8, byTag["train/lr"].Count);
        Assert.Equal([4L, 8L], byTag["epoch/loss"].Select(p => p.Step));
        var metrics = ReportHtml.ReadMetrics(Path.Combine(outDir, "metrics.csv"));
        for (int e = 0; e < 2; e++)
        {
            Assert.Equal(metrics[e].Loss, byTag["epoch/loss"][e].Value, 3);
            Assert.Equal(metrics[e].KnnTop1!.Value, byTag["epoch/knn_top1"][e].Value, 4);
            Assert.Equal(metrics[e].KnnTop5!.Value, byTag["epoch/knn_top5"][e].Value, 4);
            Assert.Equal(metrics[e].Lr, byTag["train/lr"][4 * e + 3].Value, 5);    // the epoch's lr is its last step's
        }
        double meanStepLoss = byTag["train/loss"].Take(4).Average(p => p.Value);
        Assert.Equal(metrics[0].Loss, meanStepLoss, 3);                              // epoch loss = mean of its step losses
    }

    [Fact]
    public void A_run_writes_a_report_with_curves_grid_and_embedding_map()
    {
        var outDir = Train(root);
        var html = File.ReadAllText(Path.Combine(outDir, "report.html"));
        Assert.Contains("<title>SelfSup run: mocov2 on ", html);
        Assert.Equal(6, Regex.Count(html, "<svg class=\"chart\""));
        Assert.DoesNotContain("no data yet", html);
        Assert.Contains("<svg class=\"embedding\"", html);
        Assert.Equal(32 + 2, Regex.Count(Regex.Match(html, "<svg class=\"embedding\".*?</svg>", RegexOptions.Singleline).Value, "<circle"));
        var png = Convert.FromBase64String(Regex.Match(html, "data:image/png;base64,([A-Za-z0-9+/=]+)").Groups[1].Value);
        var grid = PngDecoder.Decode(png, "grid");
        Assert.Equal(4 + 2 * (48 + 2 * 4 + 4), grid.Height);                          // two classes: two rows of framed 48 px cells
        Assert.Contains("<tr><th>Method</th><td>mocov2</td></tr>", html);
        Assert.Contains("<tr><th>resolved.batch_size</th><td>16</td></tr>", html);
        Assert.Contains("<tr><th>method.QueueSize</th>", html);
    }

    [Fact]
    public void The_report_is_written_after_every_epoch()
    {
        var outDir = Train(root, epochs: 1, knnEvery: 0);
        var html = File.ReadAllText(Path.Combine(outDir, "report.html"));
        Assert.Contains("1 epoch done", html);
        Assert.Contains("<td>1</td><td>4</td>", html);                              // the epoch table's row
    }
}
