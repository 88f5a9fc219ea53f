using SelfSup.Engine.Nn;

namespace SelfSup.Engine.Backbones;

/// <summary>A residual block of a ResNet stage (He et al. 2016): <see cref="BasicBlock"/> or <see cref="Bottleneck"/>.</summary>
public abstract class ResidualBlock : UnaryModule
{
    /// <summary>The BN whose weight zero-init-residual sets to 0, so the block starts as an identity.</summary>
    public abstract BatchNorm2d LastNorm { get; }

    /// <summary>
    /// relu(bn(x)) as one fused op (<see cref="Ops.BatchNormRelu"/>) with bn's own bookkeeping (num_batches_tracked,
    /// running stats, train/eval): the same values as bn.Forward followed by torchvision's in-place ReLU.
    /// </summary>
    internal static Tensor NormRelu(BatchNorm2d bn, Tensor x)
    {
        if (x.Rank != 4 || x.Shape[1] != bn.NumFeatures) return Ops.ReluInPlace(bn.Forward(x));    // let bn report the error
        if (bn.Training) bn.NumBatchesTracked.Data[0]++;
        return Ops.BatchNormRelu(x, bn.Weight, bn.Bias, bn.RunningMean, bn.RunningVar, bn.Training, bn.Momentum, bn.Eps);
    }

    /// <summary><see cref="NoGradBuffers.Release"/>: without autograd, an intermediate's buffer goes back to the pool
    /// right after its last use; the block's input is never released.</summary>
    protected static void Release(Tensor intermediate, Tensor input) => NoGradBuffers.Release(intermediate, input);

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

    public override Tensor Forward(Tensor x)                                   // (N, in, H, W)
    {
        var c1 = conv1.Forward(x);                                             // (N, planes, H/s, W/s)
        var y1 = NormRelu(bn1, c1); Release(c1, x);                            // (N, planes, H/s, W/s); bn1 + relu fused
        var c2 = conv2.Forward(y1); Release(y1, x);                            // (N, planes, H/s, W/s)
        var y = bn2.Forward(c2); Release(c2, x);                               // (N, planes, H/s, W/s)
        var identity = downsample?.Forward(x) ?? x;                            // (N, planes, H/s, W/s)
        var output = Ops.AddReluInPlace(y, identity); Release(identity, x);    // relu(y + identity), over y's buffer
        return output;
    }
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

    public override Tensor Forward(Tensor x)                                   // (N, in, H, W)
    {
        var c1 = conv1.Forward(x);                                             // (N, planes, H, W)
        var y1 = NormRelu(bn1, c1); Release(c1, x);                            // (N, planes, H, W)
        var c2 = conv2.Forward(y1); Release(y1, x);                            // (N, planes, H/s, W/s)
        var y2 = NormRelu(bn2, c2); Release(c2, x);                            // (N, planes, H/s, W/s)
        var c3 = conv3.Forward(y2); Release(y2, x);                            // (N, 4·planes, H/s, W/s)
        var y = bn3.Forward(c3); Release(c3, x);                               // (N, 4·planes, H/s, W/s)
        var identity = downsample?.Forward(x) ?? x;                            // (N, 4·planes, H/s, W/s)
        var output = Ops.AddReluInPlace(y, identity); Release(identity, x);    // relu(y + identity), over y's buffer
        return output;
    }
}
