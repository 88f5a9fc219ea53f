using SelfSup.Engine.Nn;

namespace SelfSup.Engine.Backbones;

/// <summary>The first layers of a ResNet: torchvision's ImageNet stem or the small-image (CIFAR) variant.</summary>
public enum ResNetStem
{
    /// <summary>conv1 3×3 stride 1 padding 1, maxpool = Identity (SimCLR's CIFAR variant; keeps 32×32 resolution).</summary>
    Cifar,
    /// <summary>conv1 7×7 stride 2 padding 3, then maxpool 3×3 stride 2 padding 1 (torchvision).</summary>
    ImageNet,
}

/// <summary>
/// ResNet-18/34/50 (He et al. 2016, "Deep Residual Learning for Image Recognition") with torchvision's module tree
/// and parameter names (conv1, bn1, relu, maxpool, layer1..layer4 of blocks "0", "1", ..., avgpool, fc), so a
/// state dict loads into torchvision's resnet with the same stem and widths. Stages have widths w, 2w, 4w, 8w
/// (w = 64 is torchvision's) and strides 1, 2, 2, 2.
/// </summary>
public sealed class ResNet : Backbone
{
    /// <param name="Depth">18, 34 (BasicBlock) or 50 (Bottleneck).</param>
    /// <param name="Stem">First layers; see <see cref="ResNetStem"/>.</param>
    /// <param name="InChannels">3 for RGB, 1 for Fashion-MNIST.</param>
    /// <param name="Width">Base width w (64 = torchvision; 16 for small fast variants).</param>
    /// <param name="NumClasses">Size of fc; 0 = no classifier (fc is Identity, Forward returns pooled features).</param>
    /// <param name="ZeroInitResidual">Start each block's last BN at weight 0 (Goyal et al. 2017), torchvision's option.</param>
    public sealed record Options(int Depth = 18, ResNetStem Stem = ResNetStem.ImageNet, int InChannels = 3, int Width = 64,
        int NumClasses = 1000, bool ZeroInitResidual = false) : BackboneOptions
    {
        public override Backbone BuildEncoder(Generator rng) => new ResNet(this with { NumClasses = 0 }, rng);
    }

    static readonly Dictionary<int, (int[] Blocks, bool Bottleneck)> Layouts = new()
    {
        [18] = ([2, 2, 2, 2], false),
        [34] = ([3, 4, 6, 3], false),
        [50] = ([3, 4, 6, 3], true),
    };

    public Options Config { get; }
    /// <summary>Channels of the pooled features: 8w for ResNet-18/34, 32w for ResNet-50.</summary>
    public override int FeatureDim { get; }

    readonly Conv2d conv1;
    readonly BatchNorm2d bn1;
    readonly UnaryModule maxpool, fc;
    readonly Sequential layer1, layer2, layer3, layer4;
    readonly AdaptiveAvgPool2d avgpool;

    public ResNet(Options options, Generator rng)
    {
        if (!Layouts.TryGetValue(options.Depth, out var layout))
            throw new ArgumentException($"ResNet depth {options.Depth} is not supported (18, 34, 50)");
        Config = options;
        int w = options.Width, expansion = layout.Bottleneck ? Bottleneck.Expansion : BasicBlock.Expansion;
        conv1 = Child("conv1", options.Stem == ResNetStem.ImageNet
            ? new Conv2d(options.InChannels, w, 7, rng, stride: 2, padding: 3, bias: false)
            : new Conv2d(options.InChannels, w, 3, rng, stride: 1, padding: 1, bias: false));
        bn1 = Child("bn1", new BatchNorm2d(w));
        Child("relu", new ReLU());                                           // torchvision's tree; forward uses the in-place op
        maxpool = Child<UnaryModule>("maxpool", options.Stem == ResNetStem.ImageNet ? new MaxPool2d(3, 2, 1) : new Identity());

        int inPlanes = w;
        Sequential Stage(string name, int planes, int blocks, int stride)
        {
            var layers = new UnaryModule[blocks];
            for (int b = 0; b < blocks; b++)
            {
                int s = b == 0 ? stride : 1;
                layers[b] = layout.Bottleneck ? new Bottleneck(inPlanes, planes, s, rng) : new BasicBlock(inPlanes, planes, s, rng);
                inPlanes = planes * expansion;
            }
            return Child(name, new Sequential(layers));
        }
        layer1 = Stage("layer1", w, layout.Blocks[0], 1);
        layer2 = Stage("layer2", 2 * w, layout.Blocks[1], 2);
        layer3 = Stage("layer3", 4 * w, layout.Blocks[2], 2);
        layer4 = Stage("layer4", 8 * w, layout.Blocks[3], 2);
        FeatureDim = 8 * w * expansion;
        avgpool = Child("avgpool", new AdaptiveAvgPool2d(1, 1));
        fc = Child<UnaryModule>("fc", options.NumClasses > 0 ? new Linear(FeatureDim, options.NumClasses, rng) : new Identity());

        // torchvision's init: Kaiming normal (fan_out, ReLU) for convs, BN weight 1 / bias 0 (already so), fc keeps Linear's default.
        foreach (var (_, module) in NamedModules())
            if (module is Conv2d conv) Init.KaimingNormal(conv.Weight, rng, FanMode.FanOut);
        if (options.ZeroInitResidual)
            foreach (var (_, module) in NamedModules())
                if (module is ResidualBlock block) Init.Zeros(block.LastNorm.Weight!);
    }

    /// <summary>The last stage's feature map before pooling: (N, C, H, W) → (N, FeatureDim, h, w) (DenseCL's dense features).</summary>
    public Tensor ForwardFeatures(Tensor x)
    {
        var y = maxpool.Forward(bn1.ForwardRelu(conv1.Forward(x)));      // (N, w, H/4, W/4) imagenet; (N, w, H, W) cifar
        y = layer1.Forward(y);                                                      // (N, w·e, ...)
        y = layer2.Forward(y);                                                      // (N, 2w·e, /2)
        y = layer3.Forward(y);                                                      // (N, 4w·e, /4)
        return layer4.Forward(y);                                                   // (N, 8w·e, /8)
    }

    /// <summary>Pooled features through fc: (N, C, H, W) → (N, NumClasses), or (N, FeatureDim) when NumClasses is 0.</summary>
    public override Tensor Forward(Tensor x)
    {
        var pooled = Ops.Flatten(avgpool.Forward(ForwardFeatures(x)), 1);           // (N, FeatureDim)
        return fc.Forward(pooled);
    }
}
