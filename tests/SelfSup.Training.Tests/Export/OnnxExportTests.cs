using SelfSup.Engine;
using SelfSup.Engine.Backbones;
using SelfSup.Engine.Nn;
using Xunit;

namespace SelfSup.Training.Tests;

public class OnnxExportTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("selfsup-onnx-").FullName;
    public void Dispose() => Directory.Delete(dir, recursive: true);

    OnnxModel Export(ResNet.Options options, int imageSize, out TrainedEncoder encoder)
    {
        encoder = TrainedEncoder.Load(ExportFixtures.Checkpoint(dir, options, imageSize));
        var path = Path.Combine(dir, "encoder.onnx");
        EncoderExport.SaveOnnx(encoder, path);
        return new OnnxModel(File.ReadAllBytes(path));
    }

    [Fact]
    public void Folded_conv_equals_conv_then_eval_batch_norm()
    {
        var rng = new Generator(11);
        var conv = new Conv2d(3, 5, 3, rng, stride: 2, padding: 1, bias: true);
        var bn = new BatchNorm2d(5, eps: 1e-3f);
        bn.RunningMean.CopyFrom(Tensor.Uniform(rng, -1f, 1f, 5));
        bn.RunningVar.CopyFrom(Tensor.Uniform(rng, 0.1f, 3f, 5));
        bn.Weight!.CopyFrom(Tensor.Uniform(rng, -2f, 2f, 5));
        bn.Bias!.CopyFrom(Tensor.Uniform(rng, -1f, 1f, 5));
        bn.Eval();
        var x = Tensor.Randn(rng, 2, 3, 9, 9);                                      // (N, C, H, W)
        var expected = bn.Forward(conv.Forward(x)).ToArray();                       // (2, 5, 5, 5)
        var (w, b) = OnnxWriter.FoldBatchNorm(conv, bn);
        var actual = Ops.Conv2d(x, w, b, 2, 1).ToArray();
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 4);
        Assert.NotEqual(conv.Forward(x).ToArray()[0], actual[0], 2);                // the BN did change something
    }

    [Fact]
    public void Model_header_graph_signature_and_metadata_follow_onnx_proto()
    {
        var model = Export(ExportFixtures.SmallResNet(), 32, out var encoder);
        Assert.Equal(7, model.IrVersion);
        Assert.Equal(13, model.Opset);
        Assert.Equal([null, 3L, 32L, 32L], model.Inputs["input"]);                  // dynamic batch "N"
        Assert.Equal([null, 64L], model.Outputs["features"]);
        Assert.Equal("resnet18", model.Metadata["architecture"]);
        Assert.Equal(64, encoder.Backbone.FeatureDim);
    }

    [Fact]
    public void Cifar_resnet18_nodes_are_folded_convs_relus_adds_then_pool_and_flatten()
    {
        var model = Export(ExportFixtures.SmallResNet(), 32, out _);
        var ops = model.Nodes.Select(n => n.Op).ToArray();
        Assert.Equal(20, ops.Count(o => o == "Conv"));                              // 1 + 8 blocks × 2 + 3 downsamples
        Assert.Equal(1 + 8 * 2, ops.Count(o => o == "Relu"));
        Assert.Equal(8, ops.Count(o => o == "Add"));
        Assert.DoesNotContain("MaxPool", ops);                                      // CIFAR stem: maxpool is Identity
        Assert.DoesNotContain("BatchNormalization", ops);
        Assert.Equal(["GlobalAveragePool", "Flatten"], ops[^2..]);
        Assert.Equal([8, 3, 3, 3], model.Initializers["conv1.weight"].Shape);
        Assert.Equal([8], model.Initializers["conv1.bias"].Shape);
        Assert.Equal([64, 32, 1, 1], model.Initializers["layer4.0.downsample.0.weight"].Shape);
        Assert.Equal(40, model.Initializers.Count);                                 // weight + folded bias per conv
        var first = model.Nodes[0];
        Assert.Equal(["input", "conv1.weight", "conv1.bias"], first.Inputs);
        Assert.Equal([3L, 3], first.Attributes["kernel_shape"]);
        Assert.Equal([1L, 1, 1, 1], first.Attributes["pads"]);
        Assert.Equal([2L, 2], model.Nodes.Single(n => n.Output == "layer2.0.conv1").Attributes["strides"]);
    }

    [Fact]
    public void Imagenet_stem_has_a_7x7_stride_2_conv_and_a_maxpool()
    {
        var model = Export(ExportFixtures.SmallResNet(ResNetStem.ImageNet), 64, out _);
        Assert.Equal([7L, 7], model.Nodes[0].Attributes["kernel_shape"]);
        Assert.Equal([2L, 2], model.Nodes[0].Attributes["strides"]);
        var pool = model.Nodes.Single(n => n.Op == "MaxPool");
        Assert.Equal([3L, 3], pool.Attributes["kernel_shape"]);
        Assert.Equal([1L, 1, 1, 1], pool.Attributes["pads"]);
    }

    public static TheoryData<int, ResNetStem, int, int> Nets => new()
    {
        { 18, ResNetStem.Cifar, 8, 32 },
        { 18, ResNetStem.ImageNet, 8, 64 },
        { 50, ResNetStem.Cifar, 4, 16 },
    };

    [Theory, MemberData(nameof(Nets))]
    public void Evaluating_the_onnx_graph_gives_the_engines_eval_features(int depth, ResNetStem stem, int width, int size)
    {
        var model = Export(ExportFixtures.SmallResNet(stem, depth, width), size, out var encoder);
        var x = Tensor.Randn(new Generator(21), 3, 3, size, size);                  // (N, C, H, W)
        using var _ = Grad.Disabled();
        var expected = encoder.Backbone.Forward(x).ToArray();                       // eval mode: running statistics
        var actual = model.Run(x);
        Assert.Equal([3, encoder.Backbone.FeatureDim], actual.Shape);
        var values = actual.ToArray();
        double maxDiff = expected.Zip(values, (e, a) => Math.Abs(e - a)).Max();
        double scale = expected.Max(Math.Abs);
        Assert.True(maxDiff <= 1e-4 * Math.Max(1, scale), $"max abs diff {maxDiff} (features up to {scale})");
    }
}
