using SelfSup.Engine.Backbones;
using Xunit;

namespace SelfSup.Engine.Tests;

/// <summary>
/// torchvision's ResNet-18 with the CIFAR stem at width 16 (resnet18_cifar_w16.safetensors): the PyTorch state dict
/// loads strictly into our ResNet, and eval outputs, train-mode outputs, running-stat updates and gradients agree.
/// </summary>
public class ResNetGoldenTests
{
    const string File = "resnet18_cifar_w16";
    static readonly string[] NotState = ["input", "features", "logits", "train_logits", "train_w"];
    static readonly string[] NotStatePrefixes = ["after_train.", "train_grad."];
    static readonly string[] TrackedNorms = ["bn1", "layer2.0.downsample.1", "layer4.1.bn2"];
    static readonly string[] GradParams =
    [
        "conv1.weight", "bn1.weight", "bn1.bias", "layer1.0.conv1.weight", "layer3.0.downsample.0.weight",
        "layer4.1.bn2.weight", "layer4.1.bn2.bias", "fc.weight", "fc.bias",
    ];

    static GoldenFixture Fixture => GoldenFixture.Load(File);

    /// <summary>A ResNet built from the fixture's <c>architecture</c> metadata, with the stored weights loaded strictly.</summary>
    static ResNet LoadedModel()
    {
        var arch = Fixture.Json("architecture");
        Assert.Equal("resnet18", arch.GetProperty("arch").GetString());
        Assert.Equal("cifar", arch.GetProperty("stem").GetString());
        int width = arch.GetProperty("widths")[0].GetInt32();
        var model = new ResNet(new ResNet.Options(Depth: 18, Stem: ResNetStem.Cifar, InChannels: arch.GetProperty("in_channels").GetInt32(),
            Width: width, NumClasses: arch.GetProperty("num_classes").GetInt32()), new Generator(5));
        foreach (var (_, module) in model.NamedModules())
            if (module is Nn.BatchNorm bn)
            {
                Assert.Equal(arch.GetProperty("bn_eps").GetSingle(), bn.Eps);
                Assert.Equal(arch.GetProperty("bn_momentum").GetSingle(), bn.Momentum);
            }
        var weights = Fixture.StateWithout(NotState, NotStatePrefixes);
        Assert.Equal(122, weights.Count);
        model.LoadStateDict(weights, strict: true);
        return model;
    }

    [Fact]
    public void Eval_logits_and_pooled_features_match_pytorch()
    {
        var model = LoadedModel();
        model.Eval();
        var input = Fixture.Float("input");                                            // (2, 3, 32, 32)
        Tensor logits, features;
        using (Grad.Disabled())
        {
            logits = model.Forward(input);                                             // (2, 10)
            features = Ops.Flatten(Ops.AdaptiveAvgPool2d(model.ForwardFeatures(input), 1, 1), 1);   // (2, 128)
        }
        GoldenAssert.RelativeNorm(Fixture.Float("logits"), logits, 1e-4, "logits");
        GoldenAssert.RelativeNorm(Fixture.Float("features"), features, 1e-4, "features");
        GoldenAssert.Close(Fixture.Float("logits"), logits, 1e-4f, 1e-4f, "logits");
        GoldenAssert.Close(Fixture.Float("features"), features, 1e-4f, 1e-4f, "features");
    }

    [Fact]
    public void Eval_forward_leaves_running_stats_alone()
    {
        var model = LoadedModel();
        model.Eval();
        using (Grad.Disabled()) model.Forward(Fixture.Float("input"));
        var state = model.StateDict();
        foreach (var bn in TrackedNorms)
        {
            Assert.Equal(Fixture.Float($"{bn}.running_mean").ToArray(), state.Float($"{bn}.running_mean").ToArray());
            Assert.Equal(1, state.Int($"{bn}.num_batches_tracked").Data[0]);
        }
    }

    /// <summary>The fixture's train-mode step: forward on the input (requiring grad), backward of sum(logits · train_w).</summary>
    static (ResNet Model, Tensor Input, Tensor Logits) TrainStep()
    {
        var model = LoadedModel();
        model.Train();
        var input = Fixture.Input("input");                                            // (2, 3, 32, 32)
        var logits = model.Forward(input);                                             // (2, 10)
        Ops.Sum(Ops.Mul(logits, Fixture.Float("train_w"))).Backward();
        return (model, input, logits);
    }

    [Fact]
    public void Train_mode_forward_uses_batch_stats_and_updates_running_stats_as_pytorch()
    {
        var (model, _, logits) = TrainStep();
        GoldenAssert.RelativeNorm(Fixture.Float("train_logits"), logits, 1e-4, "train_logits");
        GoldenAssert.Close(Fixture.Float("train_logits"), logits, 1e-4f, 1e-3f, "train_logits");
        var state = model.StateDict();
        foreach (var bn in TrackedNorms)
        {
            GoldenAssert.Close(Fixture.Float($"after_train.{bn}.running_mean"), state.Float($"{bn}.running_mean"), 1e-5f, 1e-4f, $"{bn}.running_mean");
            GoldenAssert.Close(Fixture.Float($"after_train.{bn}.running_var"), state.Float($"{bn}.running_var"), 1e-5f, 1e-4f, $"{bn}.running_var");
            GoldenAssert.Equal(Fixture.Int($"after_train.{bn}.num_batches_tracked"), state.Int($"{bn}.num_batches_tracked"), $"{bn}.num_batches_tracked");
        }
    }

    [Fact]
    public void Train_mode_gradients_match_pytorch()
    {
        var (model, input, _) = TrainStep();
        GoldenAssert.Close(Fixture.Float("train_grad.input"), input.Grad!, 1e-4f, 1e-3f, "grad input");
        var parameters = model.NamedParameters().ToDictionary(p => p.Name, p => p.Value);
        foreach (var name in GradParams)
        {
            var grad = parameters[name].Grad;
            Assert.True(grad is not null, $"{name} got no gradient");
            GoldenAssert.Close(Fixture.Float($"train_grad.{name}"), grad!, 1e-4f, 1e-3f, $"grad {name}");
        }
    }
}
