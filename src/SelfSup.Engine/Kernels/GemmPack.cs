using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SelfSup.Engine.Kernels;

/// <summary>
/// A growable, 64-byte aligned native float buffer. Instances are kept per thread (see
/// <see cref="GemmPack"/>) so packing never allocates in steady state; the finalizer releases the
/// memory when the owning thread dies.
/// </summary>
internal sealed unsafe class AlignedBuffer
{
    private float* _ptr;
    private long _length;

    /// <summary>Returns a pointer to at least <paramref name="floats"/> floats (contents unspecified).</summary>
    public float* Ensure(long floats)
    {
        if (floats > _length)
        {
            if (_ptr != null) NativeMemory.AlignedFree(_ptr);
            // Grow geometrically-ish and round up to a cache line so repeated small growth is cheap.
            long n = Math.Max(floats, _length + _length / 2);
            n = (n + 15) & ~15L;
            _ptr = (float*)NativeMemory.AlignedAlloc((nuint)(n * sizeof(float)), 64);
            _length = n;
        }
        return _ptr;
    }

    ~AlignedBuffer()
    {
        if (_ptr != null) NativeMemory.AlignedFree(_ptr);
    }
}

/// <summary>
/// Packing routines of the Goto/BLIS algorithm: copies a block of op(A) into MR-row slivers
/// (column-major within a sliver: element (r, p) at p*MR + r) and a panel of op(B) into NR-column
/// slivers (row-major within a sliver: element (p, j) at p*NR + j). Ragged edges are zero-padded so
/// the micro-kernel always runs full MR x NR tiles; the padded rows/columns are simply not stored.
/// </summary>
internal static unsafe class GemmPack
{
    [ThreadStatic] private static AlignedBuffer? _bufA;
    [ThreadStatic] private static AlignedBuffer? _bufB;

    /// <summary>This thread's buffer for packed A blocks.</summary>
    public static float* BufferA(long floats) => (_bufA ??= new AlignedBuffer()).Ensure(floats);

    /// <summary>This thread's buffer for packed B panels.</summary>
    public static float* BufferB(long floats) => (_bufB ??= new AlignedBuffer()).Ensure(floats);

    /// <summary>
    /// Packs the mc x kc block of op(A) starting at (i0, p0) into slivers of <paramref name="mr"/> rows.
    /// op(A)(i, p) = transA ? a[p*lda + i] : a[i*lda + p].
    /// </summary>
    public static void PackA(bool transA, float* a, nint lda, int i0, int p0, int mc, int kc, int mr, float* dst)
    {
        for (int s = 0; s < mc; s += mr)
        {
            int rows = Math.Min(mr, mc - s);
            if (transA)
            {
                // Each k step is a contiguous run of `rows` floats: straight copies.
                float* src = a + (nint)p0 * lda + i0 + s;
                for (int p = 0; p < kc; p++, src += lda, dst += mr)
                {
                    int r = 0;
                    for (; r < rows; r++) dst[r] = src[r];
                    for (; r < mr; r++) dst[r] = 0f;
                }
            }
            else
            {
                // Rows are contiguous in memory: read row-by-row, write with stride mr
                // (rows streams are sequential, which the hardware prefetcher handles well).
                float* src = a + (nint)(i0 + s) * lda + p0;
                if (Avx.IsSupported && mr == 8 && rows == 8)
                {
                    // Full 8-row sliver: 8x8 in-register transposes, then the kc % 8 tail.
                    int p8 = kc & ~7;
                    for (int p = 0; p < p8; p += 8) Transpose8x8(src + p, lda, dst + (nint)p * 8, 8);
                    for (int r = 0; r < 8; r++)
                    {
                        float* d = dst + (nint)p8 * 8 + r;
                        for (int p = p8; p < kc; p++, d += 8) *d = src[r * lda + p];
                    }
                    dst += (nint)mr * kc;
                    continue;
                }
                for (int r = 0; r < rows; r++, src += lda)
                {
                    float* d = dst + r;
                    for (int p = 0; p < kc; p++, d += mr) *d = src[p];
                }
                for (int r = rows; r < mr; r++)
                {
                    float* d = dst + r;
                    for (int p = 0; p < kc; p++, d += mr) *d = 0f;
                }
                dst += (nint)mr * kc;
            }
        }
    }

    /// <summary>
    /// Packs NR-column slivers [s0, s1) of the kc x nc panel of op(B) starting at (p0, j0).
    /// op(B)(p, j) = transB ? b[j*ldb + p] : b[p*ldb + j]. Sliver s lands at dst + s*kc*nr.
    /// </summary>
    public static void PackB(bool transB, float* b, nint ldb, int p0, int j0, int kc, int nc, int nr,
        int s0, int s1, float* dst)
    {
        for (int s = s0; s < s1; s++)
        {
            int j = s * nr;
            int cols = Math.Min(nr, nc - j);
            float* d = dst + (nint)s * kc * nr;
            if (!transB)
            {
                float* src = b + (nint)p0 * ldb + j0 + j;
                if (cols == nr)
                {
                    nint bytes = nr * sizeof(float);
                    for (int p = 0; p < kc; p++, src += ldb, d += nr)
                        Unsafe.CopyBlockUnaligned(d, src, (uint)bytes);
                }
                else
                {
                    for (int p = 0; p < kc; p++, src += ldb, d += nr)
                    {
                        int c = 0;
                        for (; c < cols; c++) d[c] = src[c];
                        for (; c < nr; c++) d[c] = 0f;
                    }
                }
            }
            else
            {
                // Column j of op(B) is row j of b: read each row sequentially, write with stride nr.
                float* src = b + (nint)(j0 + j) * ldb + p0;
                int p8 = 0;
                if (Avx.IsSupported && cols == nr && (nr & 7) == 0)
                {
                    // Full sliver: 8x8 in-register transposes (8 rows of b -> 8 sliver rows).
                    p8 = kc & ~7;
                    for (int c0 = 0; c0 < nr; c0 += 8)
                        for (int p = 0; p < p8; p += 8)
                            Transpose8x8(src + (nint)c0 * ldb + p, ldb, d + (nint)p * nr + c0, nr);
                    if (p8 == kc) continue;
                }
                for (int c = 0; c < cols; c++, src += ldb)
                {
                    float* dc = d + c + (nint)p8 * nr;
                    for (int p = p8; p < kc; p++, dc += nr) *dc = src[p];
                }
                for (int c = cols; c < nr; c++)
                {
                    float* dc = d + c;
                    for (int p = 0; p < kc; p++, dc += nr) *dc = 0f;
                }
            }
        }
    }

    /// <summary>dst row i (stride <paramref name="lds"/>) = column i of the 8x8 block at <paramref name="src"/>
    /// (row stride <paramref name="ld"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* src, nint ld, float* dst, nint lds) => Kernels.Transpose8x8.Store(
        Avx.LoadVector256(src), Avx.LoadVector256(src + ld), Avx.LoadVector256(src + 2 * ld), Avx.LoadVector256(src + 3 * ld),
        Avx.LoadVector256(src + 4 * ld), Avx.LoadVector256(src + 5 * ld), Avx.LoadVector256(src + 6 * ld), Avx.LoadVector256(src + 7 * ld),
        dst, lds);
}
