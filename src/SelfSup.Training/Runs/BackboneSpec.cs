using System.Text.Json;
using SelfSup.Engine;
using SelfSup.Engine.Backbones;

namespace SelfSup.Training;

/// <summary>The encoder's architecture as stored in checkpoint metadata, enough to rebuild it for eval, embed and export.</summary>
public sealed record BackboneSpec(int Depth, string Stem, int Width, int InChannels, int ImageSize)
{
    public static BackboneSpec From(ResNet.Options o, int imageSize) =>
        new(o.Depth, o.Stem == ResNetStem.Cifar ? "cifar" : "imagenet", o.Width, o.InChannels, imageSize);

    public string ToJson() => JsonSerializer.Serialize(this);

    public static BackboneSpec Parse(string json, string source) =>
        JsonSerializer.Deserialize<BackboneSpec>(json) ?? throw new InvalidDataException($"{source}: empty backbone description");

    /// <summary>A ResNet without classifier (fc = Identity), weights uninitialised for loading.</summary>
    public ResNet Build() => new(new ResNet.Options(Depth, Stem == "cifar" ? ResNetStem.Cifar : ResNetStem.ImageNet, InChannels, Width, NumClasses: 0), new Generator(0));
}
