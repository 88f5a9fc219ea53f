namespace SelfSup.Engine.Nn;

/// <summary>Max over k×k windows: (N, C, H, W) → (N, C, (H + 2p − k)/s + 1, ...).</summary>
public sealed class MaxPool2d(int kernelSize, int stride, int padding = 0) : UnaryModule
{
    public int KernelSize { get; } = kernelSize;
    public int Stride { get; } = stride;
    public int Padding { get; } = padding;
    public override Tensor Forward(Tensor x) => Ops.MaxPool2d(x, KernelSize, Stride, Padding);
}

/// <summary>Mean over k×k windows (padding counted as zeros, torch's count_include_pad default).</summary>
public sealed class AvgPool2d(int kernelSize, int stride, int padding = 0) : UnaryModule
{
    public int KernelSize { get; } = kernelSize;
    public int Stride { get; } = stride;
    public int Padding { get; } = padding;
    public override Tensor Forward(Tensor x) => Ops.AvgPool2d(x, KernelSize, Stride, Padding);
}

/// <summary>Averages (N, C, H, W) into an (N, C, outH, outW) grid of adaptive windows; (1, 1) is global average pooling.</summary>
public sealed class AdaptiveAvgPool2d(int outH = 1, int outW = 1) : UnaryModule
{
    public int OutH { get; } = outH;
    public int OutW { get; } = outW;
    public override Tensor Forward(Tensor x) => Ops.AdaptiveAvgPool2d(x, OutH, OutW);
}
