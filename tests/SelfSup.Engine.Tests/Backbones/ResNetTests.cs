using SelfSup.Engine;
using SelfSup.Engine.Backbones;
using SelfSup.Engine.Nn;
using Xunit;

namespace SelfSup.Engine.Tests;

public class ResNetTests
{
    /// <summary>torchvision.models.resnet18(num_classes=10).state_dict().keys() — the stem variant changes shapes, not names.</summary>
    static readonly string[] TorchvisionResNet18Keys =
    [
        "conv1.weight",
        "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var", "bn1.num_batches_tracked",
        "layer1.0.conv1.weight",
        "layer1.0.bn1.weight", "layer1.0.bn1.bias", "layer1.0.bn1.running_mean", "layer1.0.bn1.running_var", "layer1.0.bn1.num_batches_tracked",
        "layer1.0.conv2.weight",
        "layer1.0.bn2.weight", "layer1.0.bn2.bias", "layer1.0.bn2.running_mean", "layer1.0.bn2.running_var", "layer1.0.bn2.num_batches_tracked",
        "layer1.1.conv1.weight",
        "layer1.1.bn1.weight", "layer1.1.bn1.bias", "layer1.1.bn1.running_mean", "layer1.1.bn1.running_var", "layer1.1.bn1.num_batches_tracked",
        "layer1.1.conv2.weight",
        "layer1.1.bn2.weight", "layer1.1.bn2.bias", "layer1.1.bn2.running_mean", "layer1.1.bn2.running_var", "layer1.1.bn2.num_batches_tracked",
        "layer2.0.conv1.weight",
        "layer2.0.bn1.weight", "layer2.0.bn1.bias", "layer2.0.bn1.running_mean", "layer2.0.bn1.running_var", "layer2.0.bn1.num_batches_tracked",
        "layer2.0.conv2.weight",
        "layer2.0.bn2.weight", "layer2.0.bn2.bias", "layer2.0.bn2.running_mean", "layer2.0.bn2.running_var", "layer2.0.bn2.num_batches_tracked",
        "layer2.0.downsample.0.weight",
        "layer2.0.downsample.1.weight", "layer2.0.downsample.1.bias", "layer2.0.downsample.1.running_mean", "layer2.0.downsample.1.running_var", "layer2.0.downsample.1.num_batches_tracked",
        "layer2.1.conv1.weight",
        "layer2.1.bn1.weight", "layer2.1.bn1.bias", "layer2.1.bn1.running_mean", "layer2.1.bn1.running_var", "layer2.1.bn1.num_batches_tracked",
        "layer2.1.conv2.weight",
        "layer2.1.bn2.weight", "layer2.1.bn2.bias", "layer2.1.bn2.running_mean", "layer2.1.bn2.running_var", "layer2.1.bn2.num_batches_tracked",
        "layer3.0.conv1.weight",
        "layer3.0.bn1.weight", "layer3.0.bn1.bias", "layer3.0.bn1.running_mean", "layer3.0.bn1.running_var", "layer3.0.bn1.num_batches_tracked",
        "layer3.0.conv2.weight",
        "layer3.0.bn2.weight", "layer3.0.bn2.bias", "layer3.0.bn2.running_mean", "layer3.0.bn2.running_var", "layer3.0.bn2.num_batches_tracked",
        "layer3.0.downsample.0.weight",
        "layer3.0.downsample.1.weight", "layer3.0.downsample.1.bias", "layer3.0.downsample.1.running_mean", "layer3.0.downsample.1.running_var", "layer3.0.downsample.1.num_batches_tracked",
        "layer3.1.conv1.weight",
        "layer3.1.bn1.weight", "layer3.1.bn1.bias", "layer3.1.bn1.running_mean", "layer3.1.bn1.running_var", "layer3.1.bn1.num_batches_tracked",
        "layer3.1.conv2.weight",
        "layer3.1.bn2.weight", "layer3.1.bn2.bias", "layer3.1.bn2.running_mean", "layer3.1.bn2.running_var", "layer3.1.bn2.num_batches_tracked",
        "layer4.0.conv1.weight",
        "layer4.0.bn1.weight", "layer4.0.bn1.bias", "layer4.0.bn1.running_mean", "layer4.0.bn1.running_var", "layer4.0.bn1.num_batches_tracked",
        "layer4.0.conv2.weight",
        "layer4.0.bn2.weight", "layer4.0.bn2.bias", "layer4.0.bn2.running_mean", "layer4.0.bn2.running_var", "layer4.0.bn2.num_batches_tracked",
        "layer4.0.downsample.0.weight",
        "layer4.0.downsample.1.weight", "layer4.0.downsample.1.bias", "layer4.0.downsample.1.running_mean", "layer4.0.downsample.1.running_var", "layer4.0.downsample.1.num_batches_tracked",
        "layer4.1.conv1.weight",
        "layer4.1.bn1.weight", "layer4.1.bn1.bias", "layer4.1.bn1.running_mean", "layer4.1.bn1.running_var", "layer4.1.bn1.num_batches_tracked",
        "layer4.1.conv2.weight",
        "layer4.1.bn2.weight", "layer4.1.bn2.bias", "layer4.1.bn2.running_mean", "layer4.1.bn2.running_var", "layer4.1.bn2.num_batches_tracked",
        "fc.weight", "fc.bias",    ];

    static Tensor Images(int n, int c, int size, int seed = 3) => Tensor.Uniform(new Generator((ulong)seed), -1, 1, n, c, size, size);

    [Fact]
    public void ResNet18_state_dict_keys_are_torchvisions()
    {
        var model = new ResNet(new ResNet.Options(18, ResNetStem.Cifar, NumClasses: 10), new Generator(1));
        Assert.Equal(TorchvisionResNet18Keys, model.StateDict().Keys);
        Assert.Equal([64, 3, 3, 3], model.StateDict().Float("conv1.weight").Shape);                 // CIFAR stem: 3×3
        Assert.Equal([128, 64, 1, 1], model.StateDict().Float("layer2.0.downsample.0.weight").Shape);
    }

    [Fact]
    public void Parameter_counts_match_torchvision()
    {
        // resnet18(num_classes=10) with conv1 replaced by a 3×3 conv: 11,689,512 − 1000·513 + 10·513 − 64·3·(49 − 9)
        var r18 = new ResNet(new ResNet.Options(18, ResNetStem.Cifar, NumClasses: 10), new Generator(1));
        Assert.Equal(11_173_962, r18.Parameters().Sum(p => (long)p.Numel));
        var r50 = new ResNet(new ResNet.Options(50, ResNetStem.ImageNet, NumClasses: 1000), new Generator(1));
        Assert.Equal(25_557_032, r50.Parameters().Sum(p => (long)p.Numel));
        Assert.Equal(2048, r50.FeatureDim);
        var r34 = new ResNet(new ResNet.Options(34, NumClasses: 1000), new Generator(1));
        Assert.Equal(21_797_672, r34.Parameters().Sum(p => (long)p.Numel));                       // torchvision resnet34
    }

    [Theory]
    [InlineData(18, ResNetStem.Cifar, 3, 16, 8)]
    [InlineData(18, ResNetStem.ImageNet, 1, 32, 8)]
    [InlineData(34, ResNetStem.Cifar, 1, 16, 8)]
    [InlineData(34, ResNetStem.ImageNet, 3, 32, 8)]
    [InlineData(50, ResNetStem.Cifar, 3, 16, 4)]
    [InlineData(50, ResNetStem.ImageNet, 1, 32, 4)]
    public void Output_and_feature_map_shapes_follow_depth_stem_and_width(int depth, ResNetStem stem, int channels, int size, int width)
    {
        var model = new ResNet(new ResNet.Options(depth, stem, channels, width, NumClasses: 0), new Generator(1));
        int expansion = depth == 50 ? 4 : 1;
        Assert.Equal(8 * width * expansion, model.FeatureDim);
        var x = Images(2, channels, size);
        var map = model.ForwardFeatures(x);
        int spatial = stem == ResNetStem.Cifar ? size / 8 : size / 32;
        Assert.Equal([2, model.FeatureDim, spatial, spatial], map.Shape);
        Assert.Equal([2, model.FeatureDim], model.Forward(x).Shape);
        Assert.DoesNotContain(model.StateDict().Keys, k => k.StartsWith("fc.", StringComparison.Ordinal));
    }

    [Fact]
    public void Forward_with_classes_ends_in_fc_and_pools_the_feature_map()
    {
        var model = new ResNet(new ResNet.Options(18, ResNetStem.Cifar, 3, 4, NumClasses: 5), new Generator(1));
        var x = Images(2, 3, 8);
        var logits = model.Forward(x);
        Assert.Equal([2, 5], logits.Shape);
        var fc = model.NamedModules().Single(m => m.Name == "fc").Module as Linear;
        var pooled = Ops.Mean(model.ForwardFeatures(x), [2, 3]);               // (2, 32)
        TensorAssert.Close(fc!.Forward(pooled).ToArray(), logits.ToArray(), atol: 1e-5f);
    }

    [Fact]
    public void Init_is_torchvisions_kaiming_fan_out_for_convs_and_ones_zeros_for_bn()
    {
        var model = new ResNet(new ResNet.Options(18, ResNetStem.Cifar, 3, 64, NumClasses: 10), new Generator(1));
        var w = model.StateDict().Float("layer4.1.conv2.weight").ToArray();   // (512, 512, 3, 3): fan_out 4608
        double std = Math.Sqrt(w.Sum(v => (double)v * v) / w.Length);
        Assert.InRange(std, Math.Sqrt(2.0 / 4608) * 0.98, Math.Sqrt(2.0 / 4608) * 1.02);
        Assert.All(model.StateDict().Float("layer3.0.bn2.weight").ToArray(), v => Assert.Equal(1f, v));
        Assert.All(model.StateDict().Float("layer3.0.bn2.bias").ToArray(), v => Assert.Equal(0f, v));
        Assert.All(model.StateDict().Float("fc.weight").ToArray(), v => Assert.InRange(v, -1 / MathF.Sqrt(512), 1 / MathF.Sqrt(512)));
    }

    [Fact]
    public void Zero_init_residual_zeroes_the_last_bn_of_every_block()
    {
        var basic = new ResNet(new ResNet.Options(18, ResNetStem.Cifar, 3, 4, 0, ZeroInitResidual: true), new Generator(1));
        Assert.All(basic.StateDict().Keys.Where(k => k.EndsWith(".bn2.weight", StringComparison.Ordinal)),
            k => Assert.All(basic.StateDict().Float(k).ToArray(), v => Assert.Equal(0f, v)));
        Assert.All(basic.StateDict().Float("layer1.0.bn1.weight").ToArray(), v => Assert.Equal(1f, v));
        var bottleneck = new ResNet(new ResNet.Options(50, ResNetStem.Cifar, 3, 4, 0, ZeroInitResidual: true), new Generator(1));
        var zeroed = bottleneck.StateDict().Keys.Where(k => k.EndsWith(".bn3.weight", StringComparison.Ordinal)).ToList();
        Assert.Equal(16, zeroed.Count);
        Assert.All(zeroed, k => Assert.All(bottleneck.StateDict().Float(k).ToArray(), v => Assert.Equal(0f, v)));
        Assert.All(bottleneck.StateDict().Float("layer1.0.bn2.weight").ToArray(), v => Assert.Equal(1f, v));
    }

    [Fact]
    public void State_dict_round_trip_into_a_fresh_model_gives_identical_outputs()
    {
        var options = new ResNet.Options(18, ResNetStem.Cifar, 1, 4, NumClasses: 3);
        var trained = new ResNet(options, new Generator(1));
        trained.Forward(Images(4, 1, 8, seed: 5));                              // moves BN running statistics
        var saved = new StateDict();                                            // a snapshot, as a file would hold
        foreach (var (name, entry) in trained.StateDict())
        {
            if (entry.Float is { } f) saved.Add(name, f.Clone());
            else saved.Add(name, entry.Int!.Clone());
        }
        Assert.Equal(1, saved.Int("bn1.num_batches_tracked").Data[0]);

        var fresh = new ResNet(options, new Generator(2));
        trained.Eval(); fresh.Eval();
        var x = Images(2, 1, 8, seed: 6);
        Assert.NotEqual(trained.Forward(x).ToArray(), fresh.Forward(x).ToArray());
        fresh.LoadStateDict(saved);
        Assert.Equal(trained.Forward(x).ToArray(), fresh.Forward(x).ToArray());
        Assert.Equal(saved.Float("layer2.0.bn1.running_var").ToArray(), fresh.StateDict().Float("layer2.0.bn1.running_var").ToArray());
    }

    [Fact]
    public void Backward_reaches_every_parameter()
    {
        var model = new ResNet(new ResNet.Options(18, ResNetStem.ImageNet, 3, 4, NumClasses: 3), new Generator(1));
        model.Forward(Images(2, 3, 32)).Sum().Backward();
        Assert.All(model.NamedParameters(), p => Assert.True(p.Value.Grad is not null, $"{p.Name} got no gradient"));
    }

    [Fact]
    public void Unsupported_depth_is_rejected() =>
        Assert.Throws<ArgumentException>(() => new ResNet(new ResNet.Options(Depth: 101), new Generator(1)));
}

public class ResidualBlockReleaseTests
{
    public static TheoryData<string> Blocks => new() { "basic", "basic-downsample", "bottleneck" };

    static ResidualBlock Make(string kind, Generator rng) => kind switch
    {
        "basic" => new BasicBlock(64, 64, 1, rng),
        "basic-downsample" => new BasicBlock(32, 64, 2, rng),
        _ => new Bottleneck(64, 16, 1, rng),
    };

    /// <summary>Without autograd a block hands its intermediates back to the pool as it goes (NoGradReleaseAssert).</summary>
    [Theory, MemberData(nameof(Blocks))]
    public void No_grad_passes_reuse_intermediates_without_touching_inputs_or_outputs(string kind)
    {
        var rng = new Generator(3);
        var block = Make(kind, rng);
        block.Eval();
        int inChannels = kind == "basic-downsample" ? 32 : 64;
        NoGradReleaseAssert.PassesAgreeAndKeepOutputs(block,
            Tensor.Randn(rng, 2, inChannels, 16, 16), Tensor.Randn(rng, 2, inChannels, 16, 16));   // (2, C, 16, 16)
    }
}
