using SelfSup.Engine.Nn;

namespace SelfSup.Engine.Backbones;

/// <summary>
/// An image encoder a self-supervised method trains and evaluates: <see cref="UnaryModule.Forward"/> maps
/// (N, C, H, W) images to (N, <see cref="FeatureDim"/>) features when built without a classifier
/// (ResNet: pooled last-stage features; ViT: the class token after the final norm).
/// </summary>
public abstract class Backbone : UnaryModule
{
    /// <summary>Width of the features Forward returns when the backbone has no classifier.</summary>
    public abstract int FeatureDim { get; }
}

/// <summary>How to build a <see cref="Backbone"/>: <see cref="ResNet.Options"/> or <see cref="VisionTransformer.Options"/>.</summary>
public abstract record BackboneOptions
{
    /// <summary>The backbone without classifier (Forward gives features), weights initialised from <paramref name="rng"/>.</summary>
    public abstract Backbone BuildEncoder(Generator rng);
}
