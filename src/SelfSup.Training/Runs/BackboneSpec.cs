using System.Text.Json;
using SelfSup.Engine;
using SelfSup.Engine.Backbones;

namespace SelfSup.Training;

/// <summary>
/// The encoder's architecture as stored in checkpoint metadata, enough to rebuild it for eval, embed and export.
/// <see cref="Arch"/> is "resnet" (Depth, Stem, Width) or "vit" (Depth blocks of EmbedDim with NumHeads heads and an
/// MLP of MlpDim, on PatchSize patches); checkpoints written before ViTs existed have no Arch and are ResNets.
/// </summary>
public sealed record BackboneSpec(int Depth, string Stem, int Width, int InChannels, int ImageSize,
    string? Arch = "resnet", int PatchSize = 0, int EmbedDim = 0, int NumHeads = 0, int MlpDim = 0)
{
    public bool IsVit => Arch == "vit";

    public static BackboneSpec From(BackboneOptions options, int imageSize) => options switch
    {
        ResNet.Options o => new(o.Depth, o.Stem == ResNetStem.Cifar ? "cifar" : "imagenet", o.Width, o.InChannels, imageSize),
        VisionTransformer.Options v => new(v.Depth, "patch", v.EmbedDim, v.InChannels, v.ImageSize, "vit", v.PatchSize, v.EmbedDim, v.NumHeads, v.MlpDim),
        _ => throw new ArgumentException($"no checkpoint description for {options.GetType().Name}"),
    };

    public string ToJson() => JsonSerializer.Serialize(this);

    public static BackboneSpec Parse(string json, string source) =>
        JsonSerializer.Deserialize<BackboneSpec>(json) ?? throw new InvalidDataException($"{source}: empty backbone description");

    /// <summary>The options that rebuild this backbone without classifier.</summary>
    public BackboneOptions Options() => Arch switch
    {
        null or "resnet" => new ResNet.Options(Depth, Stem == "cifar" ? ResNetStem.Cifar : ResNetStem.ImageNet, InChannels, Width, NumClasses: 0),
        "vit" => new VisionTransformer.Options(ImageSize, PatchSize, InChannels, EmbedDim, Depth, NumHeads, MlpDim),
        _ => throw new InvalidDataException($"unknown backbone architecture '{Arch}' in checkpoint metadata"),
    };

    /// <summary>The backbone without classifier, weights initialised from a fixed seed (to be overwritten by loading).</summary>
    public Backbone Build() => Options().BuildEncoder(new Generator(0));
}
