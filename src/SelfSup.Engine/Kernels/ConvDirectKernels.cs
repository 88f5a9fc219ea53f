// Register-blocked micro-kernels of the direct 3×3 convolution (ConvDirect3x3). Like the GEMM micro-kernels, the
// output tile lives in vector registers for the whole reduction; unlike them, the "B" rows are read straight from
// the zero-bordered planes at a per-entry offset (ConvDirectGrid), so nothing is packed. Generated bodies.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SelfSup.Engine.Kernels;

/// <summary>AVX-512F micro-kernels of <see cref="ConvDirect3x3"/>.</summary>
internal static unsafe class ConvDirectKernels
{
    /// <summary>
    /// dst[r, 0..48) (row stride ldd) = Σ_k w[8k + r] · src[offs[k] + 0..48) for r &lt; rows (≤ 8): 8 output rows ×
    /// 48 grid positions; w holds 8 weights per entry (zero for rows ≥ rows).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Forward8x48(int kCount, int* offs, float* src, float* w, float* dst, nint ldd, int rows)
    {
        Vector512<float> c0_0 = default, c0_1 = default, c0_2 = default;
        Vector512<float> c1_0 = default, c1_1 = default, c1_2 = default;
        Vector512<float> c2_0 = default, c2_1 = default, c2_2 = default;
        Vector512<float> c3_0 = default, c3_1 = default, c3_2 = default;
        Vector512<float> c4_0 = default, c4_1 = default, c4_2 = default;
        Vector512<float> c5_0 = default, c5_1 = default, c5_2 = default;
        Vector512<float> c6_0 = default, c6_1 = default, c6_2 = default;
        Vector512<float> c7_0 = default, c7_1 = default, c7_2 = default;
        // The 8×48 multiply-add block is written out in each of the three kernels that use it (this one, GemmKernelsAvx512, ConvTiny3x3):
        // its 24 accumulators stay in zmm registers only as locals of one method; a shared helper would take them by
        // ref, and the JIT keeps address-taken locals on the stack. What differs is how B is loaded (here shifted rows of the zero-bordered grid).
        for (int k = 0; k < kCount; k++)
        {
            float* p = src + offs[k];
            Vector512<float> b0 = Vector512.Load(p), b1 = Vector512.Load(p + 16), b2 = Vector512.Load(p + 32);
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
        if (rows > 0) { Vector512.Store(c0_0, dst + 0 * ldd + 0); Vector512.Store(c0_1, dst + 0 * ldd + 16); Vector512.Store(c0_2, dst + 0 * ldd + 32); }
        if (rows > 1) { Vector512.Store(c1_0, dst + 1 * ldd + 0); Vector512.Store(c1_1, dst + 1 * ldd + 16); Vector512.Store(c1_2, dst + 1 * ldd + 32); }
        if (rows > 2) { Vector512.Store(c2_0, dst + 2 * ldd + 0); Vector512.Store(c2_1, dst + 2 * ldd + 16); Vector512.Store(c2_2, dst + 2 * ldd + 32); }
        if (rows > 3) { Vector512.Store(c3_0, dst + 3 * ldd + 0); Vector512.Store(c3_1, dst + 3 * ldd + 16); Vector512.Store(c3_2, dst + 3 * ldd + 32); }
        if (rows > 4) { Vector512.Store(c4_0, dst + 4 * ldd + 0); Vector512.Store(c4_1, dst + 4 * ldd + 16); Vector512.Store(c4_2, dst + 4 * ldd + 32); }
        if (rows > 5) { Vector512.Store(c5_0, dst + 5 * ldd + 0); Vector512.Store(c5_1, dst + 5 * ldd + 16); Vector512.Store(c5_2, dst + 5 * ldd + 32); }
        if (rows > 6) { Vector512.Store(c6_0, dst + 6 * ldd + 0); Vector512.Store(c6_1, dst + 6 * ldd + 16); Vector512.Store(c6_2, dst + 6 * ldd + 32); }
        if (rows > 7) { Vector512.Store(c7_0, dst + 7 * ldd + 0); Vector512.Store(c7_1, dst + 7 * ldd + 16); Vector512.Store(c7_2, dst + 7 * ldd + 32); }
    }

    /// <summary>
    /// res[r·ldr + j] += Σ_{q &lt; len} gout[r·ldg + q] · src[offs[j] + q] for r &lt; rows (≤ 4), j &lt; cols (≤ 6);
    /// len a multiple of 16. Rows ≥ rows re-read row rows − 1 and are not stored; offs must hold 6 valid offsets.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void WeightGrad4x6(int len, float* gout, nint ldg, int rows, float* src, int* offs, int cols, float* res, nint ldr)
    {
        float* g0 = gout, g1 = gout + Math.Min(1, rows - 1) * ldg, g2 = gout + Math.Min(2, rows - 1) * ldg, g3 = gout + Math.Min(3, rows - 1) * ldg;
        float* s0 = src + offs[0], s1 = src + offs[1], s2 = src + offs[2], s3 = src + offs[3], s4 = src + offs[4], s5 = src + offs[5];
        Vector512<float> c0_0 = default, c0_1 = default, c0_2 = default, c0_3 = default, c0_4 = default, c0_5 = default;
        Vector512<float> c1_0 = default, c1_1 = default, c1_2 = default, c1_3 = default, c1_4 = default, c1_5 = default;
        Vector512<float> c2_0 = default, c2_1 = default, c2_2 = default, c2_3 = default, c2_4 = default, c2_5 = default;
        Vector512<float> c3_0 = default, c3_1 = default, c3_2 = default, c3_3 = default, c3_4 = default, c3_5 = default;
        for (nint q = 0; q < len; q += 16)
        {
            Vector512<float> a0 = Vector512.Load(g0 + q), a1 = Vector512.Load(g1 + q), a2 = Vector512.Load(g2 + q), a3 = Vector512.Load(g3 + q);
            Vector512<float> b;
            b = Vector512.Load(s0 + q); c0_0 = Avx512F.FusedMultiplyAdd(a0, b, c0_0); c1_0 = Avx512F.FusedMultiplyAdd(a1, b, c1_0); c2_0 = Avx512F.FusedMultiplyAdd(a2, b, c2_0); c3_0 = Avx512F.FusedMultiplyAdd(a3, b, c3_0);
            b = Vector512.Load(s1 + q); c0_1 = Avx512F.FusedMultiplyAdd(a0, b, c0_1); c1_1 = Avx512F.FusedMultiplyAdd(a1, b, c1_1); c2_1 = Avx512F.FusedMultiplyAdd(a2, b, c2_1); c3_1 = Avx512F.FusedMultiplyAdd(a3, b, c3_1);
            b = Vector512.Load(s2 + q); c0_2 = Avx512F.FusedMultiplyAdd(a0, b, c0_2); c1_2 = Avx512F.FusedMultiplyAdd(a1, b, c1_2); c2_2 = Avx512F.FusedMultiplyAdd(a2, b, c2_2); c3_2 = Avx512F.FusedMultiplyAdd(a3, b, c3_2);
            b = Vector512.Load(s3 + q); c0_3 = Avx512F.FusedMultiplyAdd(a0, b, c0_3); c1_3 = Avx512F.FusedMultiplyAdd(a1, b, c1_3); c2_3 = Avx512F.FusedMultiplyAdd(a2, b, c2_3); c3_3 = Avx512F.FusedMultiplyAdd(a3, b, c3_3);
            b = Vector512.Load(s4 + q); c0_4 = Avx512F.FusedMultiplyAdd(a0, b, c0_4); c1_4 = Avx512F.FusedMultiplyAdd(a1, b, c1_4); c2_4 = Avx512F.FusedMultiplyAdd(a2, b, c2_4); c3_4 = Avx512F.FusedMultiplyAdd(a3, b, c3_4);
            b = Vector512.Load(s5 + q); c0_5 = Avx512F.FusedMultiplyAdd(a0, b, c0_5); c1_5 = Avx512F.FusedMultiplyAdd(a1, b, c1_5); c2_5 = Avx512F.FusedMultiplyAdd(a2, b, c2_5); c3_5 = Avx512F.FusedMultiplyAdd(a3, b, c3_5);
        }
        if (rows > 0)
        {
            float* d = res + 0 * ldr;
            d[0] += Vector512.Sum(c0_0);
            if (cols > 1) d[1] += Vector512.Sum(c0_1);
            if (cols > 2) d[2] += Vector512.Sum(c0_2);
            if (cols > 3) d[3] += Vector512.Sum(c0_3);
            if (cols > 4) d[4] += Vector512.Sum(c0_4);
            if (cols > 5) d[5] += Vector512.Sum(c0_5);
        }
        if (rows > 1)
        {
            float* d = res + 1 * ldr;
            d[0] += Vector512.Sum(c1_0);
            if (cols > 1) d[1] += Vector512.Sum(c1_1);
            if (cols > 2) d[2] += Vector512.Sum(c1_2);
            if (cols > 3) d[3] += Vector512.Sum(c1_3);
            if (cols > 4) d[4] += Vector512.Sum(c1_4);
            if (cols > 5) d[5] += Vector512.Sum(c1_5);
        }
        if (rows > 2)
        {
            float* d = res + 2 * ldr;
            d[0] += Vector512.Sum(c2_0);
            if (cols > 1) d[1] += Vector512.Sum(c2_1);
            if (cols > 2) d[2] += Vector512.Sum(c2_2);
            if (cols > 3) d[3] += Vector512.Sum(c2_3);
            if (cols > 4) d[4] += Vector512.Sum(c2_4);
            if (cols > 5) d[5] += Vector512.Sum(c2_5);
        }
        if (rows > 3)
        {
            float* d = res + 3 * ldr;
            d[0] += Vector512.Sum(c3_0);
            if (cols > 1) d[1] += Vector512.Sum(c3_1);
            if (cols > 2) d[2] += Vector512.Sum(c3_2);
            if (cols > 3) d[3] += Vector512.Sum(c3_3);
            if (cols > 4) d[4] += Vector512.Sum(c3_4);
            if (cols > 5) d[5] += Vector512.Sum(c3_5);
        }
    }
}
