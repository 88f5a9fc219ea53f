// Generated register-blocked micro-kernels (layout: packed A sliver = kc columns of MR floats,
// packed B sliver = kc rows of NR floats, both contiguous). The C accumulator tile lives entirely
// in vector registers for the whole kc loop, as in Goto & van de Geijn (2008), "Anatomy of
// high-performance matrix multiplication", ACM TOMS 34(3), and the BLIS micro-kernel design
// (Van Zee & van de Geijn 2015). Regenerate rather than hand-edit: the bodies are mechanical.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SelfSup.Engine.Kernels;

/// <summary>AVX2+FMA micro-kernel 6x16 (16 ymm registers: 12 accumulators + 2 B rows + broadcast).</summary>
internal static class GemmKernelsAvx2
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Store(float* p, Vector256<float> v, float beta)
    {
        if (beta == 0f) Vector256.Store(v, p);
        else if (beta == 1f) Vector256.Store(Vector256.Load(p) + v, p);
        else Vector256.Store(Fma.MultiplyAdd(Vector256.Create(beta), Vector256.Load(p), v), p);
    }

    /// <summary>6x16 micro-kernel: C[6x16] (row stride ldc) = acc + beta*C, acc = sum over kc of packed A column x packed B row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void Kernel6x16(int kc, float* a, float* b, float* c, nint ldc, float beta)
    {
        Vector256<float> c0_0 = default, c0_1 = default;
        Vector256<float> c1_0 = default, c1_1 = default;
        Vector256<float> c2_0 = default, c2_1 = default;
        Vector256<float> c3_0 = default, c3_1 = default;
        Vector256<float> c4_0 = default, c4_1 = default;
        Vector256<float> c5_0 = default, c5_1 = default;
        for (; kc > 0; kc--)
        {
            Vector256<float> b0 = Vector256.LoadAligned(b + 0);
            Vector256<float> b1 = Vector256.LoadAligned(b + 8);
            Vector256<float> av;
            av = Vector256.Create(a[0]); c0_0 = Fma.MultiplyAdd(av, b0, c0_0); c0_1 = Fma.MultiplyAdd(av, b1, c0_1);
            av = Vector256.Create(a[1]); c1_0 = Fma.MultiplyAdd(av, b0, c1_0); c1_1 = Fma.MultiplyAdd(av, b1, c1_1);
            av = Vector256.Create(a[2]); c2_0 = Fma.MultiplyAdd(av, b0, c2_0); c2_1 = Fma.MultiplyAdd(av, b1, c2_1);
            av = Vector256.Create(a[3]); c3_0 = Fma.MultiplyAdd(av, b0, c3_0); c3_1 = Fma.MultiplyAdd(av, b1, c3_1);
            av = Vector256.Create(a[4]); c4_0 = Fma.MultiplyAdd(av, b0, c4_0); c4_1 = Fma.MultiplyAdd(av, b1, c4_1);
            av = Vector256.Create(a[5]); c5_0 = Fma.MultiplyAdd(av, b0, c5_0); c5_1 = Fma.MultiplyAdd(av, b1, c5_1);
            a += 6;
            b += 16;
        }
        Store(c + 0*ldc + 0, c0_0, beta); Store(c + 0*ldc + 8, c0_1, beta);
        Store(c + 1*ldc + 0, c1_0, beta); Store(c + 1*ldc + 8, c1_1, beta);
        Store(c + 2*ldc + 0, c2_0, beta); Store(c + 2*ldc + 8, c2_1, beta);
        Store(c + 3*ldc + 0, c3_0, beta); Store(c + 3*ldc + 8, c3_1, beta);
        Store(c + 4*ldc + 0, c4_0, beta); Store(c + 4*ldc + 8, c4_1, beta);
        Store(c + 5*ldc + 0, c5_0, beta); Store(c + 5*ldc + 8, c5_1, beta);
    }

}
