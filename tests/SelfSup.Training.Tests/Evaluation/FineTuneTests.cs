using System.Text.Json;
using SelfSup.Engine;
using SelfSup.Engine.Backbones;
using SelfSup.Vision;
using SelfSup.Vision.Transforms;
using Xunit;

namespace SelfSup.Training.Tests;

/// <summary>The semi-supervised protocol: the labelled subset, the fine-tuning of the whole encoder, and the CLI with its
/// from-scratch baseline, on the 16-px two-class stripes of <see cref="TinyData"/>.</summary>
public sealed class FineTuneTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("selfsup-finetune-").FullName;
    public void Dispose() => Directory.Delete(dir, recursive: true);

    DataSplits Data() => DataSpec.Parse(TinyData.Write(Path.Combine(dir, "data")));

    [Fact]
    public void The_labelled_subset_takes_the_same_fraction_of_every_class_and_the_seed_decides_which()
    {
        var train = Data().Train;                                                  // 64 images of each of 2 classes
        var a = LabelSubset.Balanced(train, 0.25, seed: 1);
        Assert.Equal(32, a.Count);
        Assert.Equal(16, Enumerable.Range(0, a.Count).Count(i => a.Label(i) == 0));
        Assert.Equal(a.Indices, LabelSubset.Balanced(train, 0.25, seed: 1).Indices);
        Assert.NotEqual(a.Indices, LabelSubset.Balanced(train, 0.25, seed: 2).Indices);
        Assert.Equal(a.Indices.Distinct().Count(), a.Count);
        Assert.Equal(2, LabelSubset.Balanced(train, 0.001, seed: 1).Count);       // at least one image per class
        Assert.Equal(128, LabelSubset.Balanced(train, 1, seed: 1).Count);
        Assert.Equal("--label-fraction must be in (0, 1], not 1.5", Assert.Throws<ArgumentException>(() => LabelSubset.Balanced(train, 1.5, 0)).Message);
    }

    [Fact]
    public void Fine_tuning_trains_the_encoder_itself_and_learns_the_classes()
    {
        var data = Data();
        var backbone = new ResNet(new ResNet.Options(Depth: 18, Stem: ResNetStem.Cifar, InChannels: 1, Width: 4, NumClasses: 0), new Generator(0));
        var before = backbone.NamedParameters().ToDictionary(p => p.Name, p => p.Value.ToArray());
        var bufferBefore = backbone.NamedBuffers().First(b => b.Value.Float is not null).Value.Float!.ToArray();
        var r = FineTune.Train(backbone, data.Train, data.Test!, FineTune.TrainView(16, 1), ViewParts.Eval(16, 1), 2,
            new FineTuneOptions(Epochs: 6, BatchSize: 32, Lr: 0.05f, LoaderThreads: 1));
        Assert.All(backbone.NamedParameters(), p => Assert.False(p.Value.ToArray().SequenceEqual(before[p.Name]), $"{p.Name} did not change"));
        Assert.False(backbone.NamedBuffers().First(b => b.Value.Float is not null).Value.Float!.ToArray().SequenceEqual(bufferBefore));  // BN statistics too
        Assert.True(r.Top1 > 0.8, $"top-1 {r.Top1} on stripes the encoder can tell apart");
        Assert.Equal(1.0, r.Top5);                                                  // two classes: both are in the top 5
        Assert.Equal(128, r.LabelledImages);
    }

    /// <summary>A one-epoch SimCLR checkpoint on the stripes; returns its path and the data folder.</summary>
    (string Checkpoint, string Data) Pretrain()
    {
        var data = TinyData.Write(Path.Combine(dir, "data"));
        var outDir = Path.Combine(dir, "run");
        var options = new TrainOptions { Method = "simclr", Data = data, Width = 4, Epochs = 1, BatchSize = 32, Out = outDir, LoaderThreads = 1, KnnEvery = 0 };
        new Trainer(Recipe.Resolve(options), TextWriter.Null).Run();
        return (Path.Combine(outDir, "last.safetensors"), data);
    }

    [Fact]
    public void The_command_fine_tunes_a_checkpoint_and_from_scratch_trains_the_same_network_from_random_weights()
    {
        var (checkpoint, data) = Pretrain();
        string[] Args(params string[] extra) =>
            ["eval", "finetune", "--checkpoint", checkpoint, "--data", data, "--label-fraction", "0.5",
             "--epochs", "2", "--batch-size", "16", "--loader-threads", "1", "--json", .. extra];
        var pretrained = CliRun.Run(Args());
        var scratch = CliRun.Run(Args("--from-scratch"));
        Assert.True(pretrained.ExitCode == 0, pretrained.Stderr);
        Assert.True(scratch.ExitCode == 0, scratch.Stderr);
        using var p = JsonDocument.Parse(pretrained.Stdout);
        using var s = JsonDocument.Parse(scratch.Stdout);
        Assert.Equal(64, p.RootElement.GetProperty("labelled_images").GetInt32());
        Assert.False(p.RootElement.GetProperty("from_scratch").GetBoolean());
        Assert.True(s.RootElement.GetProperty("from_scratch").GetBoolean());
        Assert.Contains("randomly initialised", scratch.Stderr);
        Assert.InRange(p.RootElement.GetProperty("finetune_top1").GetDouble(), 0, 1);

        var bad = CliRun.Run(Args()[..^1].Select(x => x == "0.5" ? "0" : x).ToArray());
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Equal("selfsup: --label-fraction must be in (0, 1], not 0", bad.Stderr.Trim().Split('\n')[^1].Trim());
    }

    [Fact]
    public void Knn_and_the_linear_probe_with_a_label_fraction_see_only_that_share_of_the_labelled_images()
    {
        var (checkpoint, data) = Pretrain();
        CliRun.Result Eval(string protocol, params string[] extra) =>
            CliRun.Run(["eval", protocol, "--checkpoint", checkpoint, "--data", data, "--loader-threads", "1", "--json", .. extra]);
        var knn = Eval("knn", "--label-fraction", "0.25", "--k", "5");
        var linear = Eval("linear", "--label-fraction", "0.25", "--epochs", "2");
        Assert.True(knn.ExitCode == 0, knn.Stderr);
        Assert.True(linear.ExitCode == 0, linear.Stderr);
        Assert.Contains("kNN bank 32/32", knn.Stderr);                           // 16 of each class's 64, not all 128
        Assert.Contains("features (train) 32/32", linear.Stderr);
        using var k = JsonDocument.Parse(knn.Stdout);
        Assert.Equal(32, k.RootElement.GetProperty("labelled_images").GetInt32());
        var all = Eval("knn", "--k", "5");
        Assert.Contains("kNN bank 128/128", all.Stderr);
        Assert.DoesNotContain("labelled_images", all.Stdout);
        var scratch = Eval("knn", "--from-scratch");
        Assert.Equal("selfsup: eval knn: --from-scratch belongs to eval finetune", scratch.Stderr.Trim().Split('\n')[^1].Trim());
    }
}
