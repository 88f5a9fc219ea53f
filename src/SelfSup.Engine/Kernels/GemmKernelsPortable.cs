// Generated register-blocked micro-kernels (layout: packed A sliver = kc columns of MR floats,
// packed B sliver = kc rows of NR floats, both contiguous). The C accumulator tile lives entirely
// in vector registers for the whole kc loop, as in Goto & van de Geijn (2008), "Anatomy of
// high-performance matrix multiplication", ACM TOMS 34(3), and the BLIS micro-kernel design
// (Van Zee & van de Geijn 2015). Regenerate rather than hand-edit: the bodies are mechanical.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SelfSup.Engine.Kernels;

/// <summary>
/// Portable 4x8 micro-kernel on cross-platform <see cref="Vector128{T}"/> (SSE / NEON / software),
/// used when neither AVX-512F nor AVX2+FMA is available, and as a reference path in tests.
/// </summary>
internal static class GemmKernelsPortable
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Store(float* p, Vector128<float> v, float beta)
    {
        if (beta == 0f) Vector128.Store(v, p);
        else if (beta == 1f) Vector128.Store(Vector128.Load(p) + v, p);
        else Vector128.Store(Vector128.Create(beta) * Vector128.Load(p) + v, p);
    }

    /// <summary>4x8 micro-kernel: C[4x8] (row stride ldc) = acc + beta*C, acc = sum over kc of packed A column x packed B row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void Kernel4x8(int kc, float* a, float* b, float* c, nint ldc, float beta)
    {
        Vector128<float> c0_0 = default, c0_1 = default;
        Vector128<float> c1_0 = default, c1_1 = default;
        Vector128<float> c2_0 = default, c2_1 = default;
        Vector128<float> c3_0 = default, c3_1 = default;
        for (; kc > 0; kc--)
        {
            Vector128<float> b0 = Vector128.Load(b + 0);
            Vector128<float> b1 = Vector128.Load(b + 4);
            Vector128<float> av;
            av = Vector128.Create(a[0]); c0_0 = c0_0 + av * b0; c0_1 = c0_1 + av * b1;
            av = Vector128.Create(a[1]); c1_0 = c1_0 + av * b0; c1_1 = c1_1 + av * b1;
            av = Vector128.Create(a[2]); c2_0 = c2_0 + av * b0; c2_1 = c2_1 + av * b1;
            av = Vector128.Create(a[3]); c3_0 = c3_0 + av * b0; c3_1 = c3_1 + av * b1;
            a += 4;
            b += 8;
        }
        Store(c + 0*ldc + 0, c0_0, beta); Store(c + 0*ldc + 4, c0_1, beta);
        Store(c + 1*ldc + 0, c1_0, beta); Store(c + 1*ldc + 4, c1_1, beta);
        Store(c + 2*ldc + 0, c2_0, beta); Store(c + 2*ldc + 4, c2_1, beta);
        Store(c + 3*ldc + 0, c3_0, beta); Store(c + 3*ldc + 4, c3_1, beta);
    }

}
