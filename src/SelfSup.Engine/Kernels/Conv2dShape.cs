namespace SelfSup.Engine.Kernels;

/// <summary>
/// Geometry of a 2-D convolution on NCHW float32 tensors: input (N, Cin, H, W), weight
/// (Cout, Cin/Groups, KH, KW), output (N, Cout, OutH, OutW). Padding is symmetric per axis and
/// dilation is 1.
/// </summary>
public readonly record struct Conv2dShape(int N, int Cin, int H, int W, int Cout, int KH, int KW,
    int StrideH, int StrideW, int PadH, int PadW, int Groups)
{
    /// <summary>Output height: (H + 2·PadH − KH) / StrideH + 1.</summary>
    public int OutH => (H + 2 * PadH - KH) / StrideH + 1;

    /// <summary>Output width: (W + 2·PadW − KW) / StrideW + 1.</summary>
    public int OutW => (W + 2 * PadW - KW) / StrideW + 1;

    /// <summary>Number of input elements N·Cin·H·W.</summary>
    public long InputSize => (long)N * Cin * H * W;

    /// <summary>Number of weight elements Cout·(Cin/Groups)·KH·KW.</summary>
    public long WeightSize => (long)Cout * (Cin / Groups) * KH * KW;

    /// <summary>Number of output elements N·Cout·OutH·OutW.</summary>
    public long OutputSize => (long)N * Cout * OutH * OutW;

    /// <summary>Throws <see cref="ArgumentException"/> when the geometry is invalid.</summary>
    public void Validate()
    {
        if (N < 0 || Cin <= 0 || H <= 0 || W <= 0 || Cout <= 0 || KH <= 0 || KW <= 0)
            throw new ArgumentException($"Invalid convolution sizes: {this}");
        if (StrideH <= 0 || StrideW <= 0 || PadH < 0 || PadW < 0 || Groups <= 0)
            throw new ArgumentException($"Invalid convolution stride/padding/groups: {this}");
        if (Cin % Groups != 0 || Cout % Groups != 0)
            throw new ArgumentException($"Cin and Cout must be divisible by Groups: {this}");
        if (H + 2 * PadH < KH || W + 2 * PadW < KW)
            throw new ArgumentException($"Kernel larger than padded input: {this}");
    }
}
