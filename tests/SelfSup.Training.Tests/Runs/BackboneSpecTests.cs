using SelfSup.Engine;
using SelfSup.Engine.Backbones;
using Xunit;

namespace SelfSup.Training.Tests;

public class BackboneSpecTests
{
    [Fact]
    public void ResNetSpecRoundTripsThroughJsonAndRebuildsTheSameArchitecture()
    {
        var options = new ResNet.Options(Depth: 34, Stem: ResNetStem.Cifar, InChannels: 1, Width: 8, NumClasses: 0);
        var spec = BackboneSpec.Parse(BackboneSpec.From(options, 28).ToJson(), "test");
        var rebuilt = Assert.IsType<ResNet>(spec.Build());
        Assert.Equal(options, rebuilt.Config);
        Assert.Equal(64, rebuilt.FeatureDim);
        Assert.False(spec.IsVit);
    }

    [Fact]
    public void VitSpecRoundTripsThroughJsonAndRebuildsTheSameArchitecture()
    {
        var options = new VisionTransformer.Options(ImageSize: 28, PatchSize: 4, InChannels: 1, EmbedDim: 32, Depth: 2, NumHeads: 2, MlpDim: 64);
        var spec = BackboneSpec.Parse(BackboneSpec.From(options, 28).ToJson(), "test");
        var rebuilt = Assert.IsType<VisionTransformer>(spec.Build());
        Assert.Equal(options, rebuilt.Config);
        Assert.True(spec.IsVit);
        Assert.Equal(new[] { 3, 32 }, rebuilt.Forward(Tensor.Zeros(3, 1, 28, 28)).Shape);   // (N, D) class token
    }

    [Fact]
    public void MetadataWithoutArchitectureFromOlderCheckpointsIsAResNet()
    {
        var spec = BackboneSpec.Parse("""{"Depth":18,"Stem":"cifar","Width":4,"InChannels":1,"ImageSize":28}""", "old.safetensors");
        var rebuilt = Assert.IsType<ResNet>(spec.Build());
        Assert.Equal(new ResNet.Options(18, ResNetStem.Cifar, 1, 4, NumClasses: 0), rebuilt.Config);
    }

    [Fact]
    public void UnknownArchitectureIsAClearError()
    {
        var e = Assert.Throws<InvalidDataException>(() =>
            BackboneSpec.Parse("""{"Depth":18,"Stem":"x","Width":4,"InChannels":1,"ImageSize":28,"Arch":"convnext"}""", "x"));
        Assert.Contains("convnext", e.Message);
    }
}
