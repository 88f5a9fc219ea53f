namespace SelfSup.Engine.Kernels;

// PLACEHOLDER: direct loops; replaced by the kernels branch (im2col + GEMM).
public readonly record struct Conv2dShape(int N, int Cin, int H, int W, int Cout, int KH, int KW, int StrideH, int StrideW, int PadH, int PadW, int Groups)
{
    public int OutH => (H + 2 * PadH - KH) / StrideH + 1;
    public int OutW => (W + 2 * PadW - KW) / StrideW + 1;
}

public static class Conv2dKernels
{
    public static void Forward(in Conv2dShape s, ReadOnlySpan<float> input, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> output)
    {
        int cinG = s.Cin / s.Groups, coutG = s.Cout / s.Groups, oh = s.OutH, ow = s.OutW;
        for (int n = 0; n < s.N; n++)
            for (int co = 0; co < s.Cout; co++)
            {
                int g = co / coutG;
                for (int y = 0; y < oh; y++)
                    for (int x = 0; x < ow; x++)
                    {
                        float acc = bias.IsEmpty ? 0 : bias[co];
                        for (int ci = 0; ci < cinG; ci++)
                            for (int ky = 0; ky < s.KH; ky++)
                                for (int kx = 0; kx < s.KW; kx++)
                                {
                                    int iy = y * s.StrideH - s.PadH + ky, ix = x * s.StrideW - s.PadW + kx;
                                    if ((uint)iy >= (uint)s.H || (uint)ix >= (uint)s.W) continue;
                                    acc += input[((n * s.Cin + g * cinG + ci) * s.H + iy) * s.W + ix] * weight[((co * cinG + ci) * s.KH + ky) * s.KW + kx];
                                }
                        output[((n * s.Cout + co) * oh + y) * ow + x] = acc;
                    }
            }
    }

    public static void BackwardInput(in Conv2dShape s, ReadOnlySpan<float> gradOutput, ReadOnlySpan<float> weight, Span<float> gradInput)
    {
        gradInput.Clear();
        int cinG = s.Cin / s.Groups, coutG = s.Cout / s.Groups, oh = s.OutH, ow = s.OutW;
        for (int n = 0; n < s.N; n++)
            for (int co = 0; co < s.Cout; co++)
            {
                int g = co / coutG;
                for (int y = 0; y < oh; y++)
                    for (int x = 0; x < ow; x++)
                    {
                        float d = gradOutput[((n * s.Cout + co) * oh + y) * ow + x];
                        for (int ci = 0; ci < cinG; ci++)
                            for (int ky = 0; ky < s.KH; ky++)
                                for (int kx = 0; kx < s.KW; kx++)
                                {
                                    int iy = y * s.StrideH - s.PadH + ky, ix = x * s.StrideW - s.PadW + kx;
                                    if ((uint)iy >= (uint)s.H || (uint)ix >= (uint)s.W) continue;
                                    gradInput[((n * s.Cin + g * cinG + ci) * s.H + iy) * s.W + ix] += d * weight[((co * cinG + ci) * s.KH + ky) * s.KW + kx];
                                }
                    }
            }
    }

    public static void BackwardWeight(in Conv2dShape s, ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput, Span<float> gradWeight, Span<float> gradBias)
    {
        gradWeight.Clear(); gradBias.Clear();
        int cinG = s.Cin / s.Groups, coutG = s.Cout / s.Groups, oh = s.OutH, ow = s.OutW;
        for (int n = 0; n < s.N; n++)
            for (int co = 0; co < s.Cout; co++)
            {
                int g = co / coutG;
                for (int y = 0; y < oh; y++)
                    for (int x = 0; x < ow; x++)
                    {
                        float d = gradOutput[((n * s.Cout + co) * oh + y) * ow + x];
                        if (!gradBias.IsEmpty) gradBias[co] += d;
                        for (int ci = 0; ci < cinG; ci++)
                            for (int ky = 0; ky < s.KH; ky++)
                                for (int kx = 0; kx < s.KW; kx++)
                                {
                                    int iy = y * s.StrideH - s.PadH + ky, ix = x * s.StrideW - s.PadW + kx;
                                    if ((uint)iy >= (uint)s.H || (uint)ix >= (uint)s.W) continue;
                                    gradWeight[((co * cinG + ci) * s.KH + ky) * s.KW + kx] += d * input[((n * s.Cin + g * cinG + ci) * s.H + iy) * s.W + ix];
                                }
                    }
            }
    }
}
