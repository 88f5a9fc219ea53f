using SelfSup.Engine.Nn;

namespace SelfSup.Engine.Backbones;

/// <summary>A residual block of a ResNet stage (He et al. 2016): <see cref="BasicBlock"/> or <see cref="Bottleneck"/>.</summary>
public abstract class ResidualBlock : UnaryModule
{
    /// <summary>The BN whose weight zero-init-residual sets to 0, so the block starts as an identity.</summary>
    public abstract BatchNorm2d LastNorm { get; }

    /// <summary>relu(main + shortcut(x)) over main's buffer, the shortcut being the identity or the downsample
    /// (1×1 conv + BN); without autograd a downsampled shortcut is released once added (<see cref="Intermediates"/>).</summary>
    protected static Tensor AddRelu(Tensor main, Tensor x, Sequential? downsample)
    {
        var identity = downsample?.Forward(x) ?? x;                              // main's shape
        var output = Ops.AddReluInPlace(main, identity);
        Intermediates.Release(identity, x, output);
        return output;
    }

    /// <summary>1×1 conv + BN matching the shortcut to the block's output (torchvision's downsample), when needed.</summary>
    protected static Sequential? Shortcut(int inPlanes, int outPlanes, int stride, Generator rng) =>
        stride == 1 && inPlanes == outPlanes ? null
            : new Sequential(new Conv2d(inPlanes, outPlanes, 1, rng, stride: stride, bias: false), new BatchNorm2d(outPlanes));
}

/// <summary>Two 3×3 convs (ResNet-18/34); expansion 1. Children conv1, bn1, relu, conv2, bn2[, downsample].</summary>
public sealed class BasicBlock : ResidualBlock
{
    public const int Expansion = 1;
    readonly Conv2d conv1, conv2;
    readonly BatchNorm2d bn1, bn2;
    readonly Sequential? downsample;

    public BasicBlock(int inPlanes, int planes, int stride, Generator rng)
    {
        conv1 = Child("conv1", new Conv2d(inPlanes, planes, 3, rng, stride: stride, padding: 1, bias: false));
        bn1 = Child("bn1", new BatchNorm2d(planes));
        Child("relu", new ReLU());                                           // torchvision's tree; forward uses the in-place op
        conv2 = Child("conv2", new Conv2d(planes, planes, 3, rng, padding: 1, bias: false));
        bn2 = Child("bn2", new BatchNorm2d(planes));
        if (Shortcut(inPlanes, planes * Expansion, stride, rng) is { } s) downsample = Child("downsample", s);
    }

    public override BatchNorm2d LastNorm => bn2;

    /// <summary>relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)): (N, in, H, W) → (N, planes, H/s, W/s).</summary>
    public override Tensor Forward(Tensor x) => AddRelu(
        Intermediates.Chain(x, conv1.Forward, bn1.ForwardRelu, conv2.Forward, bn2.Forward), x, downsample);
}

/// <summary>1×1 reduce, 3×3 (carrying the stride, torchvision's "ResNet v1.5"), 1×1 expand ×4 (ResNet-50).
/// Children conv1, bn1, conv2, bn2, conv3, bn3, relu[, downsample].</summary>
public sealed class Bottleneck : ResidualBlock
{
    public const int Expansion = 4;
    readonly Conv2d conv1, conv2, conv3;
    readonly BatchNorm2d bn1, bn2, bn3;
    readonly Sequential? downsample;

    public Bottleneck(int inPlanes, int planes, int stride, Generator rng)
    {
        conv1 = Child("conv1", new Conv2d(inPlanes, planes, 1, rng, bias: false));
        bn1 = Child("bn1", new BatchNorm2d(planes));
        conv2 = Child("conv2", new Conv2d(planes, planes, 3, rng, stride: stride, padding: 1, bias: false));
        bn2 = Child("bn2", new BatchNorm2d(planes));
        conv3 = Child("conv3", new Conv2d(planes, planes * Expansion, 1, rng, bias: false));
        bn3 = Child("bn3", new BatchNorm2d(planes * Expansion));
        Child("relu", new ReLU());                                           // torchvision's tree; forward uses the in-place op
        if (Shortcut(inPlanes, planes * Expansion, stride, rng) is { } s) downsample = Child("downsample", s);
    }

    public override BatchNorm2d LastNorm => bn3;

    /// <summary>1×1 (N, planes, H, W) → 3×3 with the stride (N, planes, H/s, W/s) → 1×1 (N, 4·planes, H/s, W/s), BN after
    /// each, ReLU after the first two, then relu(· + shortcut(x)).</summary>
    public override Tensor Forward(Tensor x) => AddRelu(
        Intermediates.Chain(x, conv1.Forward, bn1.ForwardRelu, conv2.Forward, bn2.ForwardRelu, conv3.Forward, bn3.Forward), x, downsample);
}
