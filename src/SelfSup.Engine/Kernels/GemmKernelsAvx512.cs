// Generated register-blocked micro-kernels (layout: packed A sliver = kc columns of MR floats,
// packed B sliver = kc rows of NR floats, both contiguous). The C accumulator tile lives entirely
// in vector registers for the whole kc loop, as in Goto & van de Geijn (2008), "Anatomy of
// high-performance matrix multiplication", ACM TOMS 34(3), and the BLIS micro-kernel design
// (Van Zee & van de Geijn 2015). Regenerate rather than hand-edit: the bodies are mechanical.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SelfSup.Engine.Kernels;

/// <summary>AVX-512F micro-kernels (32 zmm registers: up to 28 accumulators + B rows + broadcast).</summary>
internal static class GemmKernelsAvx512
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Store(float* p, Vector512<float> v, float beta)
    {
        if (beta == 0f) Vector512.Store(v, p);
        else if (beta == 1f) Vector512.Store(Vector512.Load(p) + v, p);
        else Vector512.Store(Avx512F.FusedMultiplyAdd(Vector512.Create(beta), Vector512.Load(p), v), p);
    }

    /// <summary>14x32 micro-kernel: C[14x32] (row stride ldc) = acc + beta*C, acc = sum over kc of packed A column x packed B row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void Kernel14x32(int kc, float* a, float* b, float* c, nint ldc, float beta)
    {
        Vector512<float> c0_0 = default, c0_1 = default;
        Vector512<float> c1_0 = default, c1_1 = default;
        Vector512<float> c2_0 = default, c2_1 = default;
        Vector512<float> c3_0 = default, c3_1 = default;
        Vector512<float> c4_0 = default, c4_1 = default;
        Vector512<float> c5_0 = default, c5_1 = default;
        Vector512<float> c6_0 = default, c6_1 = default;
        Vector512<float> c7_0 = default, c7_1 = default;
        Vector512<float> c8_0 = default, c8_1 = default;
        Vector512<float> c9_0 = default, c9_1 = default;
        Vector512<float> c10_0 = default, c10_1 = default;
        Vector512<float> c11_0 = default, c11_1 = default;
        Vector512<float> c12_0 = default, c12_1 = default;
        Vector512<float> c13_0 = default, c13_1 = default;
        for (; kc > 0; kc--)
        {
            Vector512<float> b0 = Vector512.LoadAligned(b + 0);
            Vector512<float> b1 = Vector512.LoadAligned(b + 16);
            Vector512<float> av;
            av = Vector512.Create(a[0]); c0_0 = Avx512F.FusedMultiplyAdd(av, b0, c0_0); c0_1 = Avx512F.FusedMultiplyAdd(av, b1, c0_1);
            av = Vector512.Create(a[1]); c1_0 = Avx512F.FusedMultiplyAdd(av, b0, c1_0); c1_1 = Avx512F.FusedMultiplyAdd(av, b1, c1_1);
            av = Vector512.Create(a[2]); c2_0 = Avx512F.FusedMultiplyAdd(av, b0, c2_0); c2_1 = Avx512F.FusedMultiplyAdd(av, b1, c2_1);
            av = Vector512.Create(a[3]); c3_0 = Avx512F.FusedMultiplyAdd(av, b0, c3_0); c3_1 = Avx512F.FusedMultiplyAdd(av, b1, c3_1);
            av = Vector512.Create(a[4]); c4_0 = Avx512F.FusedMultiplyAdd(av, b0, c4_0); c4_1 = Avx512F.FusedMultiplyAdd(av, b1, c4_1);
            av = Vector512.Create(a[5]); c5_0 = Avx512F.FusedMultiplyAdd(av, b0, c5_0); c5_1 = Avx512F.FusedMultiplyAdd(av, b1, c5_1);
            av = Vector512.Create(a[6]); c6_0 = Avx512F.FusedMultiplyAdd(av, b0, c6_0); c6_1 = Avx512F.FusedMultiplyAdd(av, b1, c6_1);
            av = Vector512.Create(a[7]); c7_0 = Avx512F.FusedMultiplyAdd(av, b0, c7_0); c7_1 = Avx512F.FusedMultiplyAdd(av, b1, c7_1);
            av = Vector512.Create(a[8]); c8_0 = Avx512F.FusedMultiplyAdd(av, b0, c8_0); c8_1 = Avx512F.FusedMultiplyAdd(av, b1, c8_1);
            av = Vector512.Create(a[9]); c9_0 = Avx512F.FusedMultiplyAdd(av, b0, c9_0); c9_1 = Avx512F.FusedMultiplyAdd(av, b1, c9_1);
            av = Vector512.Create(a[10]); c10_0 = Avx512F.FusedMultiplyAdd(av, b0, c10_0); c10_1 = Avx512F.FusedMultiplyAdd(av, b1, c10_1);
            av = Vector512.Create(a[11]); c11_0 = Avx512F.FusedMultiplyAdd(av, b0, c11_0); c11_1 = Avx512F.FusedMultiplyAdd(av, b1, c11_1);
            av = Vector512.Create(a[12]); c12_0 = Avx512F.FusedMultiplyAdd(av, b0, c12_0); c12_1 = Avx512F.FusedMultiplyAdd(av, b1, c12_1);
            av = Vector512.Create(a[13]); c13_0 = Avx512F.FusedMultiplyAdd(av, b0, c13_0); c13_1 = Avx512F.FusedMultiplyAdd(av, b1, c13_1);
            a += 14;
            b += 32;
        }
        Store(c + 0*ldc + 0, c0_0, beta); Store(c + 0*ldc + 16, c0_1, beta);
        Store(c + 1*ldc + 0, c1_0, beta); Store(c + 1*ldc + 16, c1_1, beta);
        Store(c + 2*ldc + 0, c2_0, beta); Store(c + 2*ldc + 16, c2_1, beta);
        Store(c + 3*ldc + 0, c3_0, beta); Store(c + 3*ldc + 16, c3_1, beta);
        Store(c + 4*ldc + 0, c4_0, beta); Store(c + 4*ldc + 16, c4_1, beta);
        Store(c + 5*ldc + 0, c5_0, beta); Store(c + 5*ldc + 16, c5_1, beta);
        Store(c + 6*ldc + 0, c6_0, beta); Store(c + 6*ldc + 16, c6_1, beta);
        Store(c + 7*ldc + 0, c7_0, beta); Store(c + 7*ldc + 16, c7_1, beta);
        Store(c + 8*ldc + 0, c8_0, beta); Store(c + 8*ldc + 16, c8_1, beta);
        Store(c + 9*ldc + 0, c9_0, beta); Store(c + 9*ldc + 16, c9_1, beta);
        Store(c + 10*ldc + 0, c10_0, beta); Store(c + 10*ldc + 16, c10_1, beta);
        Store(c + 11*ldc + 0, c11_0, beta); Store(c + 11*ldc + 16, c11_1, beta);
        Store(c + 12*ldc + 0, c12_0, beta); Store(c + 12*ldc + 16, c12_1, beta);
        Store(c + 13*ldc + 0, c13_0, beta); Store(c + 13*ldc + 16, c13_1, beta);
    }

    /// <summary>6x64 micro-kernel: C[6x64] (row stride ldc) = acc + beta*C, acc = sum over kc of packed A column x packed B row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void Kernel6x64(int kc, float* a, float* b, float* c, nint ldc, float beta)
    {
        Vector512<float> c0_0 = default, c0_1 = default, c0_2 = default, c0_3 = default;
        Vector512<float> c1_0 = default, c1_1 = default, c1_2 = default, c1_3 = default;
        Vector512<float> c2_0 = default, c2_1 = default, c2_2 = default, c2_3 = default;
        Vector512<float> c3_0 = default, c3_1 = default, c3_2 = default, c3_3 = default;
        Vector512<float> c4_0 = default, c4_1 = default, c4_2 = default, c4_3 = default;
        Vector512<float> c5_0 = default, c5_1 = default, c5_2 = default, c5_3 = default;
        for (; kc > 0; kc--)
        {
            Vector512<float> b0 = Vector512.LoadAligned(b + 0);
            Vector512<float> b1 = Vector512.LoadAligned(b + 16);
            Vector512<float> b2 = Vector512.LoadAligned(b + 32);
            Vector512<float> b3 = Vector512.LoadAligned(b + 48);
            Vector512<float> av;
            av = Vector512.Create(a[0]); c0_0 = Avx512F.FusedMultiplyAdd(av, b0, c0_0); c0_1 = Avx512F.FusedMultiplyAdd(av, b1, c0_1); c0_2 = Avx512F.FusedMultiplyAdd(av, b2, c0_2); c0_3 = Avx512F.FusedMultiplyAdd(av, b3, c0_3);
            av = Vector512.Create(a[1]); c1_0 = Avx512F.FusedMultiplyAdd(av, b0, c1_0); c1_1 = Avx512F.FusedMultiplyAdd(av, b1, c1_1); c1_2 = Avx512F.FusedMultiplyAdd(av, b2, c1_2); c1_3 = Avx512F.FusedMultiplyAdd(av, b3, c1_3);
            av = Vector512.Create(a[2]); c2_0 = Avx512F.FusedMultiplyAdd(av, b0, c2_0); c2_1 = Avx512F.FusedMultiplyAdd(av, b1, c2_1); c2_2 = Avx512F.FusedMultiplyAdd(av, b2, c2_2); c2_3 = Avx512F.FusedMultiplyAdd(av, b3, c2_3);
            av = Vector512.Create(a[3]); c3_0 = Avx512F.FusedMultiplyAdd(av, b0, c3_0); c3_1 = Avx512F.FusedMultiplyAdd(av, b1, c3_1); c3_2 = Avx512F.FusedMultiplyAdd(av, b2, c3_2); c3_3 = Avx512F.FusedMultiplyAdd(av, b3, c3_3);
            av = Vector512.Create(a[4]); c4_0 = Avx512F.FusedMultiplyAdd(av, b0, c4_0); c4_1 = Avx512F.FusedMultiplyAdd(av, b1, c4_1); c4_2 = Avx512F.FusedMultiplyAdd(av, b2, c4_2); c4_3 = Avx512F.FusedMultiplyAdd(av, b3, c4_3);
            av = Vector512.Create(a[5]); c5_0 = Avx512F.FusedMultiplyAdd(av, b0, c5_0); c5_1 = Avx512F.FusedMultiplyAdd(av, b1, c5_1); c5_2 = Avx512F.FusedMultiplyAdd(av, b2, c5_2); c5_3 = Avx512F.FusedMultiplyAdd(av, b3, c5_3);
            a += 6;
            b += 64;
        }
        Store(c + 0*ldc + 0, c0_0, beta); Store(c + 0*ldc + 16, c0_1, beta); Store(c + 0*ldc + 32, c0_2, beta); Store(c + 0*ldc + 48, c0_3, beta);
        Store(c + 1*ldc + 0, c1_0, beta); Store(c + 1*ldc + 16, c1_1, beta); Store(c + 1*ldc + 32, c1_2, beta); Store(c + 1*ldc + 48, c1_3, beta);
        Store(c + 2*ldc + 0, c2_0, beta); Store(c + 2*ldc + 16, c2_1, beta); Store(c + 2*ldc + 32, c2_2, beta); Store(c + 2*ldc + 48, c2_3, beta);
        Store(c + 3*ldc + 0, c3_0, beta); Store(c + 3*ldc + 16, c3_1, beta); Store(c + 3*ldc + 32, c3_2, beta); Store(c + 3*ldc + 48, c3_3, beta);
        Store(c + 4*ldc + 0, c4_0, beta); Store(c + 4*ldc + 16, c4_1, beta); Store(c + 4*ldc + 32, c4_2, beta); Store(c + 4*ldc + 48, c4_3, beta);
        Store(c + 5*ldc + 0, c5_0, beta); Store(c + 5*ldc + 16, c5_1, beta); Store(c + 5*ldc + 32, c5_2, beta); Store(c + 5*ldc + 48, c5_3, beta);
    }

    /// <summary>8x48 micro-kernel: C[8x48] (row stride ldc) = acc + beta*C, acc = sum over kc of packed A column x packed B row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void Kernel8x48(int kc, float* a, float* b, float* c, nint ldc, float beta)
    {
        Vector512<float> c0_0 = default, c0_1 = default, c0_2 = default;
        Vector512<float> c1_0 = default, c1_1 = default, c1_2 = default;
        Vector512<float> c2_0 = default, c2_1 = default, c2_2 = default;
        Vector512<float> c3_0 = default, c3_1 = default, c3_2 = default;
        Vector512<float> c4_0 = default, c4_1 = default, c4_2 = default;
        Vector512<float> c5_0 = default, c5_1 = default, c5_2 = default;
        Vector512<float> c6_0 = default, c6_1 = default, c6_2 = default;
        Vector512<float> c7_0 = default, c7_1 = default, c7_2 = default;
        // The 8×48 multiply-add block is written out in each of the three kernels that use it (this one, ConvDirectKernels, ConvTiny3x3):
        // its 24 accumulators stay in zmm registers only as locals of one method; a shared helper would take them by
        // ref, and the JIT keeps address-taken locals on the stack. What differs is how B is loaded (here a packed panel).
        for (; kc > 0; kc--)
        {
            Vector512<float> b0 = Vector512.LoadAligned(b + 0);
            Vector512<float> b1 = Vector512.LoadAligned(b + 16);
            Vector512<float> b2 = Vector512.LoadAligned(b + 32);
            Vector512<float> av;
            av = Vector512.Create(a[0]); c0_0 = Avx512F.FusedMultiplyAdd(av, b0, c0_0); c0_1 = Avx512F.FusedMultiplyAdd(av, b1, c0_1); c0_2 = Avx512F.FusedMultiplyAdd(av, b2, c0_2);
            av = Vector512.Create(a[1]); c1_0 = Avx512F.FusedMultiplyAdd(av, b0, c1_0); c1_1 = Avx512F.FusedMultiplyAdd(av, b1, c1_1); c1_2 = Avx512F.FusedMultiplyAdd(av, b2, c1_2);
            av = Vector512.Create(a[2]); c2_0 = Avx512F.FusedMultiplyAdd(av, b0, c2_0); c2_1 = Avx512F.FusedMultiplyAdd(av, b1, c2_1); c2_2 = Avx512F.FusedMultiplyAdd(av, b2, c2_2);
            av = Vector512.Create(a[3]); c3_0 = Avx512F.FusedMultiplyAdd(av, b0, c3_0); c3_1 = Avx512F.FusedMultiplyAdd(av, b1, c3_1); c3_2 = Avx512F.FusedMultiplyAdd(av, b2, c3_2);
            av = Vector512.Create(a[4]); c4_0 = Avx512F.FusedMultiplyAdd(av, b0, c4_0); c4_1 = Avx512F.FusedMultiplyAdd(av, b1, c4_1); c4_2 = Avx512F.FusedMultiplyAdd(av, b2, c4_2);
            av = Vector512.Create(a[5]); c5_0 = Avx512F.FusedMultiplyAdd(av, b0, c5_0); c5_1 = Avx512F.FusedMultiplyAdd(av, b1, c5_1); c5_2 = Avx512F.FusedMultiplyAdd(av, b2, c5_2);
            av = Vector512.Create(a[6]); c6_0 = Avx512F.FusedMultiplyAdd(av, b0, c6_0); c6_1 = Avx512F.FusedMultiplyAdd(av, b1, c6_1); c6_2 = Avx512F.FusedMultiplyAdd(av, b2, c6_2);
            av = Vector512.Create(a[7]); c7_0 = Avx512F.FusedMultiplyAdd(av, b0, c7_0); c7_1 = Avx512F.FusedMultiplyAdd(av, b1, c7_1); c7_2 = Avx512F.FusedMultiplyAdd(av, b2, c7_2);
            a += 8;
            b += 48;
        }
        Store(c + 0*ldc + 0, c0_0, beta); Store(c + 0*ldc + 16, c0_1, beta); Store(c + 0*ldc + 32, c0_2, beta);
        Store(c + 1*ldc + 0, c1_0, beta); Store(c + 1*ldc + 16, c1_1, beta); Store(c + 1*ldc + 32, c1_2, beta);
        Store(c + 2*ldc + 0, c2_0, beta); Store(c + 2*ldc + 16, c2_1, beta); Store(c + 2*ldc + 32, c2_2, beta);
        Store(c + 3*ldc + 0, c3_0, beta); Store(c + 3*ldc + 16, c3_1, beta); Store(c + 3*ldc + 32, c3_2, beta);
        Store(c + 4*ldc + 0, c4_0, beta); Store(c + 4*ldc + 16, c4_1, beta); Store(c + 4*ldc + 32, c4_2, beta);
        Store(c + 5*ldc + 0, c5_0, beta); Store(c + 5*ldc + 16, c5_1, beta); Store(c + 5*ldc + 32, c5_2, beta);
        Store(c + 6*ldc + 0, c6_0, beta); Store(c + 6*ldc + 16, c6_1, beta); Store(c + 6*ldc + 32, c6_2, beta);
        Store(c + 7*ldc + 0, c7_0, beta); Store(c + 7*ldc + 16, c7_1, beta); Store(c + 7*ldc + 32, c7_2, beta);
    }

}
