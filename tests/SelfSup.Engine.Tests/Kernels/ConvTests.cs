using SelfSup.Engine.Kernels;
using Xunit;

namespace SelfSup.Engine.Tests.Kernels;

/// <summary>Conv2d forward / input-gradient / weight-gradient against a naive direct convolution.</summary>
public class ConvTests
{
    public static TheoryData<int[]> Shapes => new()
    {
        // N, Cin, H, W, Cout, KH, KW, sH, sW, pH, pW, groups
        new[] { 2, 3, 8, 8, 5, 3, 3, 1, 1, 1, 1, 1 },
        new[] { 3, 4, 9, 7, 6, 3, 3, 2, 2, 1, 1, 1 },      // stride 2, odd sizes
        new[] { 2, 5, 6, 6, 4, 3, 3, 1, 1, 0, 0, 1 },      // no padding
        new[] { 2, 3, 11, 10, 4, 7, 7, 2, 2, 3, 3, 1 },    // 7x7 stride-2 stem
        new[] { 3, 6, 5, 5, 7, 1, 1, 1, 1, 0, 0, 1 },      // 1x1 direct path
        new[] { 5, 6, 4, 4, 7, 1, 1, 1, 1, 0, 0, 1 },      // 1x1 direct, several images per chunk
        new[] { 2, 8, 8, 8, 16, 1, 1, 2, 2, 0, 0, 1 },     // 1x1 stride-2 downsample
        new[] { 2, 4, 7, 9, 6, 3, 3, 1, 1, 1, 1, 2 },      // groups 2
        new[] { 3, 6, 8, 8, 6, 3, 3, 1, 1, 1, 1, 6 },      // depthwise
        new[] { 2, 4, 8, 8, 8, 3, 3, 2, 2, 1, 1, 4 },      // grouped, Cout/groups = 2, stride 2
        new[] { 2, 2, 6, 9, 3, 3, 5, 1, 2, 2, 1, 1 },      // non-square kernel, per-axis stride/pad
        new[] { 2, 3, 5, 5, 4, 3, 3, 1, 1, 3, 3, 1 },      // pad 3 > kernel radius
        new[] { 20, 8, 4, 4, 16, 3, 3, 1, 1, 1, 1, 1 },    // small maps: multi-image chunks
        new[] { 1, 16, 12, 12, 24, 3, 3, 1, 1, 1, 1, 1 },  // batch 1: multi-threaded GEMM inside
        new[] { 7, 1, 28, 28, 4, 3, 3, 1, 1, 1, 1, 1 },    // 1-channel stem
        new[] { 4, 3, 7, 9, 5, 3, 5, 1, 1, 1, 2, 1 },      // same-plane path, non-square kernel, plane not a multiple of 16
        new[] { 9, 6, 5, 3, 4, 5, 3, 1, 1, 2, 1, 2 },      // same-plane path, grouped, multi-image chunks
        new[] { 6, 16, 28, 28, 8, 3, 3, 1, 1, 1, 1, 1 },   // same-plane path, chunks over threads, prepacked weight
        new[] { 50, 4, 7, 7, 8, 3, 3, 1, 1, 1, 1, 1 },     // implicit im2col: 16-column runs straddle images, ragged last chunk
        new[] { 8, 4, 7, 7, 6, 3, 3, 1, 1, 1, 1, 2 },      // implicit im2col, grouped
        new[] { 9, 3, 16, 16, 5, 3, 3, 1, 1, 1, 1, 1 },    // padded-plane weight gradient (4 partials)
        new[] { 17, 3, 14, 14, 4, 3, 3, 1, 1, 1, 1, 1 },   // padded-plane weight gradient, 2-image chunks, ragged last
        new[] { 16, 4, 17, 15, 6, 3, 3, 1, 1, 1, 1, 2 },   // padded-plane weight gradient, grouped, odd sizes, 2-image chunks
        new[] { 8, 2, 20, 24, 3, 3, 5, 1, 1, 1, 2, 1 },    // padded-plane weight gradient, non-square kernel
        new[] { 8, 20, 16, 16, 40, 3, 3, 1, 1, 1, 1, 1 },  // padded-plane weight gradient, several B slivers and KC slices
    };

    private static Conv2dShape Make(int n, int cin, int h, int w, int cout, int kh, int kw, int sh, int sw, int ph, int pw, int g)
        => new(n, cin, h, w, cout, kh, kw, sh, sw, ph, pw, g);

    internal static double[] RefForward(in Conv2dShape s, float[] x, float[] wt, float[]? b)
    {
        int oh = s.OutH, ow = s.OutW, cg = s.Cin / s.Groups, cog = s.Cout / s.Groups;
        var y = new double[s.OutputSize];
        for (int n = 0; n < s.N; n++)
            for (int co = 0; co < s.Cout; co++)
            {
                int g = co / cog;
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                    {
                        double acc = b?[co] ?? 0;
                        for (int c = 0; c < cg; c++)
                            for (int kh = 0; kh < s.KH; kh++)
                                for (int kw = 0; kw < s.KW; kw++)
                                {
                                    int ih = i * s.StrideH - s.PadH + kh, iw = j * s.StrideW - s.PadW + kw;
                                    if (ih < 0 || ih >= s.H || iw < 0 || iw >= s.W) continue;
                                    acc += (double)x[((n * s.Cin + g * cg + c) * s.H + ih) * s.W + iw]
                                        * wt[((co * cg + c) * s.KH + kh) * s.KW + kw];
                                }
                        y[((n * s.Cout + co) * oh + i) * ow + j] = acc;
                    }
            }
        return y;
    }

    internal static void RefBackward(in Conv2dShape s, float[] x, float[] wt, float[] gy, double[] gx, double[] gw, double[] gb)
    {
        int oh = s.OutH, ow = s.OutW, cg = s.Cin / s.Groups, cog = s.Cout / s.Groups;
        for (int n = 0; n < s.N; n++)
            for (int co = 0; co < s.Cout; co++)
            {
                int g = co / cog;
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                    {
                        double d = gy[((n * s.Cout + co) * oh + i) * ow + j];
                        gb[co] += d;
                        for (int c = 0; c < cg; c++)
                            for (int kh = 0; kh < s.KH; kh++)
                                for (int kw = 0; kw < s.KW; kw++)
                                {
                                    int ih = i * s.StrideH - s.PadH + kh, iw = j * s.StrideW - s.PadW + kw;
                                    if (ih < 0 || ih >= s.H || iw < 0 || iw >= s.W) continue;
                                    int xi = ((n * s.Cin + g * cg + c) * s.H + ih) * s.W + iw;
                                    int wi = ((co * cg + c) * s.KH + kh) * s.KW + kw;
                                    gx[xi] += d * wt[wi];
                                    gw[wi] += d * x[xi];
                                }
                    }
            }
    }

    internal static void Near(double[] expect, float[] actual, string what)
    {
        double scale = 1e-6;
        foreach (var e in expect) scale = Math.Max(scale, Math.Abs(e));
        for (int i = 0; i < expect.Length; i++)
            if (Math.Abs(expect[i] - actual[i]) > 1e-4 * scale + 1e-5)
                Assert.Fail($"{what}[{i}] = {actual[i]}, expected {expect[i]}");
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MatchesNaive(int[] d)
    {
        var s = Make(d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11]);
        var x = GemmTests.Random((int)s.InputSize, 1);
        var wt = GemmTests.Random((int)s.WeightSize, 2);
        var b = GemmTests.Random(s.Cout, 3);
        var gy = GemmTests.Random((int)s.OutputSize, 4);

        foreach (bool withBias in new[] { true, false })
        {
            var y = new float[s.OutputSize];
            Array.Fill(y, float.NaN);
            Conv2dKernels.Forward(s, x, wt, withBias ? b : ReadOnlySpan<float>.Empty, y);
            Near(RefForward(s, x, wt, withBias ? b : null), y, "y");
        }

        var gx = new double[s.InputSize]; var gw = new double[s.WeightSize]; var gb = new double[s.Cout];
        RefBackward(s, x, wt, gy, gx, gw, gb);

        var gxa = new float[s.InputSize];
        Array.Fill(gxa, float.NaN);
        Conv2dKernels.BackwardInput(s, gy, wt, gxa);
        Near(gx, gxa, "gx");

        var gwa = new float[s.WeightSize]; var gba = new float[s.Cout];
        Array.Fill(gwa, float.NaN); Array.Fill(gba, float.NaN);
        Conv2dKernels.BackwardWeight(s, x, gy, gwa, gba);
        Near(gw, gwa, "gw");
        Near(gb, gba, "gb");

        Array.Fill(gwa, float.NaN);
        Conv2dKernels.BackwardWeight(s, x, gy, gwa, Span<float>.Empty);
        Near(gw, gwa, "gw (no bias)");
    }

    [Fact]
    public void OutputSizes()
    {
        var s = Make(1, 3, 32, 32, 64, 3, 3, 2, 2, 1, 1, 1);
        Assert.Equal(16, s.OutH);
        Assert.Equal(16, s.OutW);
        Assert.Equal(112, Make(1, 3, 224, 224, 64, 7, 7, 2, 2, 3, 3, 1).OutH);
        Assert.Throws<ArgumentException>(() => Make(1, 3, 8, 8, 4, 3, 3, 1, 1, 1, 1, 2).Validate());
    }

    [Fact]
    public void SingleThreadMatchesMultiThread()
    {
        var s = Make(6, 8, 10, 10, 12, 3, 3, 1, 1, 1, 1, 1);
        var x = GemmTests.Random((int)s.InputSize, 5);
        var wt = GemmTests.Random((int)s.WeightSize, 6);
        var y1 = new float[s.OutputSize]; var y2 = new float[s.OutputSize];
        int saved = Workers.Threads;
        try
        {
            Workers.Threads = 1;
            Conv2dKernels.Forward(s, x, wt, ReadOnlySpan<float>.Empty, y1);
            Workers.Threads = 2;
            Conv2dKernels.Forward(s, x, wt, ReadOnlySpan<float>.Empty, y2);
        }
        finally { Workers.Threads = saved; }
        for (int i = 0; i < y1.Length; i++) Assert.True(Math.Abs(y1[i] - y2[i]) < 1e-5f);
    }
}
