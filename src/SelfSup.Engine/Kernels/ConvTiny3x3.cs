using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SelfSup.Engine.Kernels;

/// <summary>
/// 3×3 stride-1 padding-1 convolution on planes of at most 16 positions (the 4×4 maps of a ResNet's last stage): one
/// AVX-512 vector holds a whole plane, so tap (dy, dx) of a channel is one masked load of that channel's plane shifted
/// by dy·W + dx, the mask dropping the positions whose neighbour is outside the plane. Nothing is packed or copied:
/// input planes are read in place and each accumulator is one output plane. The register tile is 8 output channels ×
/// 3 images. The input gradient is the same convolution of gradOut with the flipped, transposed weight.
/// </summary>
internal static unsafe class ConvTiny3x3
{
    /// <summary>Whether <paramref name="s"/> is a small-plane 3×3 same convolution this kernel handles.</summary>
    public static bool Applies(in Conv2dShape s)
        => ConvDirect3x3.Enabled && Avx512F.IsSupported && s.Groups == 1 && s.KH == 3 && s.KW == 3 && s.PadH == 1 && s.PadW == 1
           && s.StrideH == 1 && s.StrideW == 1 && s.H * s.W <= 16 && s.N > 0 && s.Cin <= 128 && s.Cout <= 128;

    /// <summary>output = conv(input, weight) (+ bias when not null).</summary>
    public static void Forward(in Conv2dShape s, float* input, float* weight, float* bias, float* output)
        => Run(in s, s.Cin, s.Cout, input, output, bias, flipped: false, weight);

    /// <summary>gradInput = conv(gradOut, flipped transposed weight), overwritten.</summary>
    public static void BackwardInput(in Conv2dShape s, float* gradOutput, float* weight, float* gradInput)
        => Run(in s, s.Cout, s.Cin, gradOutput, gradInput, null, flipped: true, weight);

    [ThreadStatic] private static AlignedBuffer? _packed;

    private static void Run(in Conv2dShape s, int cin, int cout, float* src, float* dst, float* bias, bool flipped, float* weight)
    {
        int hw = s.H * s.W, blocks = (cout + 7) / 8;
        // packed[block][tap][c][r]: tap-major so that one mask serves a whole run of channels.
        float* packed = (_packed ??= new AlignedBuffer()).Ensure((long)blocks * 9 * cin * 8);
        for (int b = 0; b < blocks; b++)
            for (int t = 0; t < 9; t++)
                for (int c = 0; c < cin; c++)
                    for (int r = 0; r < 8; r++)
                    {
                        int o = b * 8 + r;
                        float v = 0f;
                        if (o < cout) v = flipped ? weight[((nint)c * cout + o) * 9 + 8 - t] : weight[((nint)o * cin + c) * 9 + t];
                        packed[(((nint)b * 9 + t) * cin + c) * 8 + r] = v;
                    }
        var masks = new float[9 * 16];
        var shifts = new int[9];
        for (int t = 0; t < 9; t++)
        {
            int dy = t / 3 - 1, dx = t % 3 - 1;
            shifts[t] = dy * s.W + dx;
            for (int q = 0; q < hw; q++)
            {
                int y = q / s.W + dy, x = q % s.W + dx;
                masks[t * 16 + q] = y >= 0 && y < s.H && x >= 0 && x < s.W ? BitConverter.Int32BitsToSingle(-1) : 0f;
            }
        }
        int n = s.N, chunk = 12, chunks = (n + chunk - 1) / chunk;
        nint ps = (nint)src, pd = (nint)dst, pp = (nint)packed, pb = (nint)bias;
        void Body(int k)
        {
            fixed (float* m = masks)
            fixed (int* sh = shifts)
                for (int n0 = k * chunk; n0 < Math.Min(n, (k + 1) * chunk); n0 += 3)
                {
                    int images = Math.Min(3, n - n0);
                    float* s0 = (float*)ps + (nint)n0 * cin * hw;
                    nint step = (nint)cin * hw;
                    for (int b = 0; b < blocks; b++)
                        Kernel8x3(cin, hw, sh, m, s0, images > 1 ? step : 0, images > 2 ? 2 * step : 0,
                            (float*)pp + (nint)b * 9 * cin * 8, (float*)pd + ((nint)n0 * cout + b * 8) * hw, (nint)cout * hw,
                            images, Math.Min(8, cout - b * 8), pb == 0 ? null : (float*)pb + b * 8);
                }
        }
        if (chunks == 1) Body(0);
        else Workers.For(chunks, Body);
    }

    /// <summary>
    /// Output planes r &lt; rows of images j &lt; images: dst[j·ldImage + r·hw + q] = Σ_t Σ_c w[t][c][r] · src_j[c·hw + shift_t + q]
    /// (masked by tap t), plus bias[r] when bias is not null.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel8x3(int channels, int hw, int* shifts, float* masks, float* src, nint off1, nint off2, float* w,
        float* dst, nint ldImage, int images, int rows, float* bias)
    {
        Vector512<float> c0_0 = default, c0_1 = default, c0_2 = default;
        Vector512<float> c1_0 = default, c1_1 = default, c1_2 = default;
        Vector512<float> c2_0 = default, c2_1 = default, c2_2 = default;
        Vector512<float> c3_0 = default, c3_1 = default, c3_2 = default;
        Vector512<float> c4_0 = default, c4_1 = default, c4_2 = default;
        Vector512<float> c5_0 = default, c5_1 = default, c5_2 = default;
        Vector512<float> c6_0 = default, c6_1 = default, c6_2 = default;
        Vector512<float> c7_0 = default, c7_1 = default, c7_2 = default;
        // The 8×48 multiply-add block is written out in each of the three kernels that use it (this one, GemmKernelsAvx512, ConvDirectKernels):
        // its 24 accumulators stay in zmm registers only as locals of one method; a shared helper would take them by
        // ref, and the JIT keeps address-taken locals on the stack. What differs is how B is loaded (here masked loads straight from NCHW planes).
        for (int t = 0; t < 9; t++)
        {
            var m = Vector512.Load(masks + t * 16);
            float* p = src + shifts[t];
            for (int c = 0; c < channels; c++, p += hw)
            {
                Vector512<float> b0 = Avx512F.MaskLoad(p, m, Vector512<float>.Zero);
                Vector512<float> b1 = Avx512F.MaskLoad(p + off1, m, Vector512<float>.Zero);
                Vector512<float> b2 = Avx512F.MaskLoad(p + off2, m, Vector512<float>.Zero);
                Vector512<float> av;
                av = Vector512.Create(w[0]); c0_0 = Avx512F.FusedMultiplyAdd(av, b0, c0_0); c0_1 = Avx512F.FusedMultiplyAdd(av, b1, c0_1); c0_2 = Avx512F.FusedMultiplyAdd(av, b2, c0_2);
                av = Vector512.Create(w[1]); c1_0 = Avx512F.FusedMultiplyAdd(av, b0, c1_0); c1_1 = Avx512F.FusedMultiplyAdd(av, b1, c1_1); c1_2 = Avx512F.FusedMultiplyAdd(av, b2, c1_2);
                av = Vector512.Create(w[2]); c2_0 = Avx512F.FusedMultiplyAdd(av, b0, c2_0); c2_1 = Avx512F.FusedMultiplyAdd(av, b1, c2_1); c2_2 = Avx512F.FusedMultiplyAdd(av, b2, c2_2);
                av = Vector512.Create(w[3]); c3_0 = Avx512F.FusedMultiplyAdd(av, b0, c3_0); c3_1 = Avx512F.FusedMultiplyAdd(av, b1, c3_1); c3_2 = Avx512F.FusedMultiplyAdd(av, b2, c3_2);
                av = Vector512.Create(w[4]); c4_0 = Avx512F.FusedMultiplyAdd(av, b0, c4_0); c4_1 = Avx512F.FusedMultiplyAdd(av, b1, c4_1); c4_2 = Avx512F.FusedMultiplyAdd(av, b2, c4_2);
                av = Vector512.Create(w[5]); c5_0 = Avx512F.FusedMultiplyAdd(av, b0, c5_0); c5_1 = Avx512F.FusedMultiplyAdd(av, b1, c5_1); c5_2 = Avx512F.FusedMultiplyAdd(av, b2, c5_2);
                av = Vector512.Create(w[6]); c6_0 = Avx512F.FusedMultiplyAdd(av, b0, c6_0); c6_1 = Avx512F.FusedMultiplyAdd(av, b1, c6_1); c6_2 = Avx512F.FusedMultiplyAdd(av, b2, c6_2);
                av = Vector512.Create(w[7]); c7_0 = Avx512F.FusedMultiplyAdd(av, b0, c7_0); c7_1 = Avx512F.FusedMultiplyAdd(av, b1, c7_1); c7_2 = Avx512F.FusedMultiplyAdd(av, b2, c7_2);
                w += 8;
            }
        }
        var store = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(hw)).AsSingle();
        if (rows > 0) Store(dst + 0 * hw, ldImage, store, images, bias == null ? 0f : bias[0], c0_0, c0_1, c0_2);
        if (rows > 1) Store(dst + 1 * hw, ldImage, store, images, bias == null ? 0f : bias[1], c1_0, c1_1, c1_2);
        if (rows > 2) Store(dst + 2 * hw, ldImage, store, images, bias == null ? 0f : bias[2], c2_0, c2_1, c2_2);
        if (rows > 3) Store(dst + 3 * hw, ldImage, store, images, bias == null ? 0f : bias[3], c3_0, c3_1, c3_2);
        if (rows > 4) Store(dst + 4 * hw, ldImage, store, images, bias == null ? 0f : bias[4], c4_0, c4_1, c4_2);
        if (rows > 5) Store(dst + 5 * hw, ldImage, store, images, bias == null ? 0f : bias[5], c5_0, c5_1, c5_2);
        if (rows > 6) Store(dst + 6 * hw, ldImage, store, images, bias == null ? 0f : bias[6], c6_0, c6_1, c6_2);
        if (rows > 7) Store(dst + 7 * hw, ldImage, store, images, bias == null ? 0f : bias[7], c7_0, c7_1, c7_2);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* d, nint ldImage, Vector512<float> mask, int images, float bias,
        Vector512<float> v0, Vector512<float> v1, Vector512<float> v2)
    {
        var b = Vector512.Create(bias);
        Avx512F.MaskStore(d, mask, v0 + b);
        if (images > 1) Avx512F.MaskStore(d + ldImage, mask, v1 + b);
        if (images > 2) Avx512F.MaskStore(d + 2 * ldImage, mask, v2 + b);
    }
}
