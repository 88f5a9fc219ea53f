using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SelfSup.Engine.Kernels;

/// <summary>The 8×8 in-register transpose used while packing panels (GEMM's transposed operands, the padded weight
/// gradient): the classic unpack / shuffle / 128-bit-permute sequence. Callers load the eight rows their own way
/// (strided rows, or rows behind pointers).</summary>
internal static unsafe class Transpose8x8
{
    /// <summary>dst row i (stride <paramref name="lds"/>) = element i of rows r0…r7.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<float> r0, Vector256<float> r1, Vector256<float> r2, Vector256<float> r3,
        Vector256<float> r4, Vector256<float> r5, Vector256<float> r6, Vector256<float> r7, float* dst, nint lds)
    {
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1);
        Vector256<float> t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5);
        Vector256<float> t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
        Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE);
        Vector256<float> u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE);
        Vector256<float> u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(dst, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(dst + lds, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(dst + 2 * lds, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(dst + 3 * lds, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(dst + 4 * lds, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(dst + 5 * lds, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(dst + 6 * lds, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(dst + 7 * lds, Avx.Permute2x128(u3, u7, 0x31));
    }
}
