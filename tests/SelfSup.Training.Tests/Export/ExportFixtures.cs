using SelfSup.Engine;
using SelfSup.Engine.Backbones;
using SelfSup.Engine.Nn;
using SelfSup.Vision;

namespace SelfSup.Training.Tests;

/// <summary>Checkpoints and image folders made in-process for the export and embed tests.</summary>
static class ExportFixtures
{
    /// <summary>
    /// A checkpoint shaped like a trained method's: the backbone under "backbone." with random weights and BN statistics far
    /// from (0, 1) (so eval-mode BN matters), a projection head beside it, and the backbone description in the metadata.
    /// </summary>
    public static string Checkpoint(string dir, BackboneOptions options, int imageSize, int seed = 3, string name = "last.safetensors")
    {
        var spec = BackboneSpec.From(options, imageSize);
        var backbone = options.BuildEncoder(new Generator((ulong)seed));
        var rng = new Generator((ulong)seed + 100);
        foreach (var (_, module) in backbone.NamedModules())
            if (module is BatchNorm2d bn)
            {
                int c = bn.NumFeatures;
                bn.RunningMean.CopyFrom(Tensor.Uniform(rng, -0.3f, 0.3f, c));
                bn.RunningVar.CopyFrom(Tensor.Uniform(rng, 0.5f, 2f, c));
                bn.Weight!.CopyFrom(Tensor.Uniform(rng, 0.5f, 1.5f, c));
                bn.Bias!.CopyFrom(Tensor.Uniform(rng, -0.2f, 0.2f, c));
                bn.NumBatchesTracked.Data[0] = 17;
            }
        var model = new StateDict();
        foreach (var (k, e) in backbone.StateDict())
            if (e.Float is { } f) model.Add("backbone." + k, f); else model.Add("backbone." + k, e.Int!);
        model.Add("head.0.weight", Tensor.Randn(rng, 16, backbone.FeatureDim));
        model.Add("head.0.bias", Tensor.Zeros(16));
        var path = Path.Combine(dir, name);
        Training.Checkpoint.Save(path, new CheckpointContent(model, new StateDict(), new StateDict(),
            new Dictionary<string, string> { ["method"] = "simclr", ["epoch"] = "1", ["backbone"] = spec.ToJson() }));
        return path;
    }

    public static ResNet.Options SmallResNet(ResNetStem stem = ResNetStem.Cifar, int depth = 18, int width = 8, int channels = 3) =>
        new(depth, stem, channels, width);

    /// <summary>An image folder with class sub-folders "a" and "b" of random size×size PNGs (3 + 2 of them).</summary>
    public static string ImageFolder(string dir, int size, int channels = 3, int seed = 5)
    {
        var root = Path.Combine(dir, "images");
        var rng = new Random(seed);
        foreach (var (cls, count) in new[] { ("a", 3), ("b", 2) })
        {
            Directory.CreateDirectory(Path.Combine(root, cls));
            for (int i = 0; i < count; i++)
            {
                var pixels = new byte[size * size * channels];
                rng.NextBytes(pixels);
                PngEncoder.Save(Path.Combine(root, cls, $"img{i}.png"), new RawImage(size, size, channels, pixels));
            }
        }
        return root;
    }
}
