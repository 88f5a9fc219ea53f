using SelfSup.Engine;
using SelfSup.Vision;
using SelfSup.Vision.Transforms;
using Xunit;

namespace SelfSup.Training.Tests;

/// <summary>`--resume`: a run stopped at an epoch end or mid-epoch and resumed ends with exactly the weights, optimiser
/// state and method state (queue, bank, samplers) of a run never stopped; broken checkpoints are skipped, others'
/// refused.</summary>
public class ResumeTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("selfsup-resume-").FullName;
    readonly string data;

    public ResumeTests() => data = TinyData.Write(Path.Combine(root, "data"));     // 128 images: 4 steps of 32 per epoch
    public void Dispose() => Directory.Delete(root, recursive: true);

    TrainOptions Options(string method, string run, string? resume = null) => new()
    {
        Method = method, Data = data, Width = 4, Epochs = 2, BatchSize = 32, Out = Path.Combine(root, run), Resume = resume,
        LoaderThreads = 1, KnnK = 5, Seed = 11, CheckpointEverySteps = 0,
    };

    static TrainResult Train(TrainOptions o, TextWriter? log = null, int stopAfterStep = 0) =>
        new Trainer(Recipe.Resolve(o), log ?? TextWriter.Null) { StopAfterStep = stopAfterStep }.Run();

    /// <summary>Every tensor of the two checkpoints (weights, BN statistics, optimiser buffers and step counts, queue or
    /// bank, generator states) equal bit for bit.</summary>
    internal static void AssertSameState(string expected, string actual)
    {
        var a = Checkpoint.Load(expected); var b = Checkpoint.Load(actual);
        Assert.Equal(a.Info["step"], b.Info["step"]);
        foreach (var (part, x, y) in new[] { ("model", a.Model, b.Model), ("optim", a.Optimizer, b.Optimizer), ("extra", a.Extra, b.Extra) })
        {
            Assert.Equal(x.Keys, y.Keys);
            foreach (var k in x.Keys)
            {
                if (x[k].Float is { } f) Assert.True(f.ToArray().AsSpan().SequenceEqual(y.Float(k).ToArray()), $"{part}.{k} differs");
                else Assert.True(x[k].Int!.Data.AsSpan().SequenceEqual(y.Int(k).Data), $"{part}.{k} differs");
            }
        }
    }

    [Theory]
    [InlineData("mocov2")]
    [InlineData("instdisc")]
    [InlineData("byol")]
    public void Resuming_after_epoch_one_ends_bit_for_bit_where_a_straight_run_ends(string method)
    {
        var straight = Train(Options(method, "straight"));
        var resumed = Train(Options(method, "resumed", resume: Path.Combine(root, "straight", "epoch-001.safetensors")));
        Assert.Equal(straight.Loss, resumed.Loss);
        AssertSameState(straight.Checkpoint, resumed.Checkpoint);
    }

    [Theory]
    [InlineData("mocov2")]
    [InlineData("instdisc")]
    [InlineData("simclr")]
    [InlineData("barlowtwins")]
    public void Resuming_mid_epoch_skips_the_batches_done_and_ends_bit_for_bit_where_a_straight_run_ends(string method)
    {
        var straight = Train(Options(method, "straight"));
        Train(Options(method, "stopped"), stopAfterStep: 6);                   // killed in epoch 2, after its 2nd batch
        var last = Path.Combine(root, "stopped", "last.safetensors");
        Assert.Equal("6", Checkpoint.Load(last).Info["step"]);
        Assert.Equal("1", Checkpoint.Load(last).Info["epoch"]);
        var log = new StringWriter();
        var resumed = Train(Options(method, "stopped", resume: "auto"), log);
        Assert.Contains("resume: continuing from step 6 (epoch 2, batch 2)", log.ToString());
        Assert.Equal(straight.Loss, resumed.Loss, 12);                          // epoch 2's mean loss includes the 2 batches before the stop
        AssertSameState(straight.Checkpoint, resumed.Checkpoint);
        Assert.Equal(3, File.ReadAllLines(Path.Combine(root, "stopped", "metrics.csv")).Length);   // header + epochs 1 and 2
    }

    [Fact]
    public void A_run_killed_while_saving_its_final_last_checkpoint_resumes_to_the_final_state_and_result()
    {
        var straight = Train(Options("mocov2", "run"));
        string dir = Path.Combine(root, "run"), last = Path.Combine(dir, "last.safetensors");
        var final = File.ReadAllBytes(Path.Combine(dir, "epoch-002.safetensors"));
        // What a kill during the final save leaves: epoch-002 complete, last.safetensors still at epoch 1, a partial temporary.
        File.Copy(Path.Combine(dir, "epoch-001.safetensors"), last, overwrite: true);
        File.WriteAllBytes(last + ".tmp-0badf00d", final[..100]);
        File.SetLastWriteTimeUtc(last, DateTime.UtcNow.AddMinutes(-5));
        var log = new StringWriter();
        var resumed = Train(Options("mocov2", "run", resume: "auto"), log);
        Assert.Equal(final, File.ReadAllBytes(last));
        Assert.Equal(straight.KnnTop1, resumed.KnnTop1);                       // the final kNN is reported, on the final weights
        Assert.Equal(straight.Loss, resumed.Loss);
        Assert.Contains("last.safetensors is now epoch-002.safetensors (step 8)", log.ToString());
    }

    [Fact]
    public void A_corrupt_or_truncated_newest_checkpoint_is_skipped_for_the_previous_valid_one()
    {
        var straight = Train(Options("mocov2", "run"));
        var reference = Path.Combine(root, "reference.safetensors");
        File.Copy(straight.Checkpoint, reference);
        var dir = Path.Combine(root, "run");
        var last = Path.Combine(dir, "last.safetensors");
        var bytes = File.ReadAllBytes(last);
        bytes[^100] ^= 0x40;                                                    // one flipped bit in the tensor data
        File.WriteAllBytes(last, bytes);
        var epoch2 = Path.Combine(dir, "epoch-002.safetensors");
        File.WriteAllBytes(epoch2, File.ReadAllBytes(epoch2)[..(bytes.Length / 2)]);   // cut short, as by a full disk
        File.WriteAllBytes(Path.Combine(dir, "last.safetensors.tmp-0badf00d"), bytes[..1000]);   // a save a kill interrupted
        File.WriteAllText(Path.Combine(dir, "report.html.tmp-12345678"), "<html>");                // and a report's
        var now = DateTime.UtcNow;                                              // newest first: last, epoch-002, epoch-001
        File.SetLastWriteTimeUtc(Path.Combine(dir, "epoch-001.safetensors"), now.AddSeconds(-20));
        File.SetLastWriteTimeUtc(epoch2, now.AddSeconds(-10));

        var log = new StringWriter();
        Train(Options("mocov2", "run", resume: "auto"), log);
        var lines = log.ToString();
        Assert.Contains($"resume: skipping last.safetensors: {last}: checksum mismatch", lines);     // errors name the whole path
        Assert.Contains("resume: skipping epoch-002.safetensors", lines);
        Assert.Contains("resume: removed last.safetensors.tmp-0badf00d", lines);
        Assert.Contains("resume: removed report.html.tmp-12345678", lines);
        Assert.Contains("resume: continuing from step 4 (epoch 2, batch 0)", lines);
        AssertSameState(reference, last);                                       // epoch 2 again, as the first time
        Assert.Empty(Directory.GetFiles(dir, "*.tmp*"));
    }

    [Fact]
    public void Auto_resume_refuses_checkpoints_made_with_options_that_change_the_computation()
    {
        Train(Options("mocov2", "run") with { Epochs = 1 });
        var e = Assert.Throws<InvalidDataException>(() => Train(Options("mocov2", "run", resume: "auto") with { Seed = 12 }));
        Assert.Contains("seed: 11 vs 12", e.Message);
        Assert.Contains("epochs: 1 vs 2", e.Message);
        var log = new StringWriter();                                           // kNN and loader settings may differ
        Train(Options("mocov2", "run", resume: "auto") with { Epochs = 1, KnnK = 3, LoaderThreads = 0 }, log);
        Assert.Contains("resume: continuing from step 4", log.ToString());
    }

    [Fact]
    public void Auto_resume_in_an_empty_folder_starts_afresh()
    {
        var log = new StringWriter();
        var result = Train(Options("simclr", "fresh", resume: "auto") with { Epochs = 1 }, log);
        Assert.Contains("resume: no valid checkpoint", log.ToString());
        Assert.Equal("4", Checkpoint.Load(result.Checkpoint).Info["step"]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void A_loader_started_at_batch_b_gives_the_batches_from_b_on(int threads)
    {
        var set = DataSpec.Parse(data).Train;
        var views = new SimClrRecipe().Views(16, 1);
        using var loader = new MultiViewLoader(set, views, new LoaderOptions(32, 3, threads));
        var all = loader.Epoch(1).ToArray();
        var tail = loader.Epoch(1, startBatch: 3).ToArray();
        Assert.Single(tail);
        Assert.Equal(all[3].Indices, tail[0].Indices);
        Assert.Equal(all[3].Views[1].ToArray(), tail[0].Views[1].ToArray());
        Assert.Empty(loader.Epoch(1, startBatch: 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => loader.Epoch(1, startBatch: 5).ToArray());
    }
}
