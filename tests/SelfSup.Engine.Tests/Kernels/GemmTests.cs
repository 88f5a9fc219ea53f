using SelfSup.Engine.Kernels;
using Xunit;

namespace SelfSup.Engine.Tests.Kernels;

/// <summary>SGEMM against a naive double-accumulated reference, on every micro-kernel path.</summary>
public class GemmTests
{
    internal static float[] Random(int n, int seed, float scale = 1f)
    {
        var r = new Random(seed);
        var x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float)(r.NextDouble() * 2 - 1) * scale;
        return x;
    }

    private static void Reference(bool ta, bool tb, int m, int n, int k, float[] a, int lda, float[] b, int ldb,
        float[] c, int ldc, float beta)
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++)
                    s += (double)(ta ? a[p * lda + i] : a[i * lda + p]) * (tb ? b[j * ldb + p] : b[p * ldb + j]);
                c[i * ldc + j] = beta == 0f ? (float)s : (float)(s + beta * (double)c[i * ldc + j]);
            }
    }

    private static IEnumerable<GemmPath> Paths()
    {
        yield return GemmPath.Portable;
        if (System.Runtime.Intrinsics.X86.Avx2.IsSupported && System.Runtime.Intrinsics.X86.Fma.IsSupported)
            yield return GemmPath.Avx2;
        if (System.Runtime.Intrinsics.X86.Avx512F.IsSupported) yield return GemmPath.Avx512;
    }

    private static void Check(GemmPath path, bool parallel, bool ta, bool tb, int m, int n, int k, int pad, float beta, bool nanC = false)
    {
        int lda = (ta ? m : k) + pad, ldb = (tb ? k : n) + pad, ldc = n + pad;
        var a = Random((ta ? k : m) * lda + 1, 1 + m);
        var b = Random((tb ? n : k) * ldb + 1, 2 + n);
        var c = Random(m * ldc + 1, 3 + k);
        if (nanC) Array.Fill(c, float.NaN);
        var expect = (float[])c.Clone();
        Reference(ta, tb, m, n, k, a, lda, b, ldb, expect, ldc, beta);
        Gemm.MultiplyCore(path, parallel, ta, tb, m, n, k, a, lda, b, ldb, c, ldc, beta);
        float tol = 1e-5f * (k + 4);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < ldc; j++)
            {
                int idx = i * ldc + j;
                if (j >= n) { Assert.True(BitConverter.SingleToInt32Bits(expect[idx]) == BitConverter.SingleToInt32Bits(c[idx]), "padding touched"); continue; }
                if (Math.Abs(expect[idx] - c[idx]) > tol)
                    Assert.Fail($"{path} ta={ta} tb={tb} m={m} n={n} k={k} beta={beta}: C[{i},{j}] = {c[idx]}, expected {expect[idx]}");
            }
    }

    [Fact]
    public void AllTransposes_OddSizes_AllPaths()
    {
        int[] sizes = { 1, 2, 3, 5, 7, 13, 14, 15, 16, 17, 31, 33, 47, 64, 67 };
        foreach (var path in Paths())
            foreach (bool ta in new[] { false, true })
                foreach (bool tb in new[] { false, true })
                    for (int t = 0; t < sizes.Length; t++)
                    {
                        int m = sizes[t], n = sizes[(t * 7 + 3) % sizes.Length], k = sizes[(t * 5 + 1) % sizes.Length];
                        Check(path, false, ta, tb, m, n, k, 0, 0f);
                        Check(path, false, ta, tb, n, k, m, 3, 1f);
                        Check(path, false, ta, tb, k, m, n, 1, 0.5f);
                    }
    }

    [Fact]
    public void AllSizes1To67_DefaultPath()
    {
        for (int s = 1; s <= 67; s++)
            Check(GemmDriver.BestPath, false, s % 2 == 0, s % 3 == 0, s, 68 - s, (s * 13) % 67 + 1, s % 4, s % 5 == 0 ? 1f : 0f);
    }

    [Fact]
    public void LargerThanBlocks_AllTransposes_Parallel()
    {
        // Crosses KC (256), MC and several NR slivers, ragged in every dimension.
        foreach (bool ta in new[] { false, true })
            foreach (bool tb in new[] { false, true })
            {
                Check(GemmDriver.BestPath, true, ta, tb, 130, 257, 77, 2, 0f);
                Check(GemmDriver.BestPath, true, ta, tb, 301, 95, 517, 0, 0.5f);
            }
        Check(Paths().Last() == GemmPath.Avx512 ? GemmPath.Avx2 : GemmDriver.BestPath, true, false, false, 200, 150, 300, 1, 1f);
        Check(GemmPath.Portable, true, true, false, 97, 131, 290, 1, 0f);
    }

    [Fact]
    public void EveryAvx512Blocking()
    {
        if (!System.Runtime.Intrinsics.X86.Avx512F.IsSupported) return;
        try
        {
            foreach (int mr in new[] { 14, 8, 6 })
            {
                GemmDriver.ForceAvx512Mr(mr);
                foreach (bool ta in new[] { false, true })
                    foreach (bool tb in new[] { false, true })
                    {
                        Check(GemmPath.Avx512, false, ta, tb, 29, 97, 19, 1, 0f);
                        Check(GemmPath.Avx512, true, ta, tb, 170, 133, 270, 0, 0.5f);
                    }
            }
        }
        finally { GemmDriver.ForceAvx512Mr(0); }
    }

    [Fact]
    public void BetaZero_IgnoresNaN()
    {
        foreach (var path in Paths())
        {
            Check(path, false, false, false, 17, 35, 9, 1, 0f, nanC: true);
            Check(path, true, true, true, 150, 70, 300, 0, 0f, nanC: true);
        }
    }

    [Fact]
    public void KZero_ScalesC()
    {
        var c = new float[] { 1, 2, float.NaN, 4 };
        Gemm.Multiply(false, false, 2, 2, 0, ReadOnlySpan<float>.Empty, 1, ReadOnlySpan<float>.Empty, 2, c, 2);
        Assert.Equal(new float[] { 0, 0, 0, 0 }, c);
        c = new float[] { 1, 2, 3, 4 };
        Gemm.Multiply(false, false, 2, 2, 0, ReadOnlySpan<float>.Empty, 1, ReadOnlySpan<float>.Empty, 2, c, 2, 0.5f);
        Assert.Equal(new float[] { 0.5f, 1, 1.5f, 2 }, c);
    }

    [Fact]
    public void PathsAgree()
    {
        const int m = 93, n = 141, k = 333;
        var a = Random(m * k, 5); var b = Random(k * n, 6);
        var results = Paths().Select(p =>
        {
            var c = new float[m * n];
            Gemm.MultiplyCore(p, false, false, false, m, n, k, a, k, b, n, c, n, 0f);
            return c;
        }).ToList();
        foreach (var r in results.Skip(1))
            for (int i = 0; i < r.Length; i++) Assert.True(Math.Abs(r[i] - results[0][i]) < 1e-4f);
    }

    [Fact]
    public void OneVsTwoThreads()
    {
        const int m = 300, n = 280, k = 260;
        var a = Random(m * k, 7); var b = Random(k * n, 8);
        var c1 = new float[m * n]; var c2 = new float[m * n];
        int saved = Workers.Threads;
        try
        {
            Workers.Threads = 1;
            Gemm.Multiply(false, true, m, n, k, a, k, b, k, c1, n);
            Workers.Threads = 2;
            Gemm.Multiply(false, true, m, n, k, a, k, b, k, c2, n);
        }
        finally { Workers.Threads = saved; }
        for (int i = 0; i < c1.Length; i++) Assert.True(Math.Abs(c1[i] - c2[i]) < 1e-4f);
    }

    [Fact]
    public void Batched()
    {
        const int batch = 7, m = 19, n = 23, k = 29;
        long sa = m * k + 5, sb = k * n + 3, sc = m * n + 1;
        var a = Random((int)(sa * batch), 9); var b = Random((int)(sb * batch), 10);
        var c = Random((int)(sc * batch), 11);
        var expect = (float[])c.Clone();
        for (int i = 0; i < batch; i++)
        {
            var ai = a.AsSpan((int)(i * sa), m * k).ToArray(); var bi = b.AsSpan((int)(i * sb), k * n).ToArray();
            var ci = expect.AsSpan((int)(i * sc), m * n).ToArray();
            Reference(false, false, m, n, k, ai, k, bi, n, ci, n, 0.5f);
            ci.CopyTo(expect.AsSpan((int)(i * sc)));
        }
        Gemm.MultiplyBatched(false, false, batch, m, n, k, a, k, sa, b, n, sb, c, n, sc, 0.5f);
        for (int i = 0; i < c.Length; i++) Assert.True(Math.Abs(c[i] - expect[i]) < 1e-4f, $"at {i}");
    }

    [Fact]
    public void RejectsShortSpans()
    {
        Assert.Throws<ArgumentException>(() =>
            Gemm.Multiply(false, false, 4, 4, 4, new float[15], 4, new float[16], 4, new float[16], 4));
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            Gemm.Multiply(false, false, 4, 4, 4, new float[16], 3, new float[16], 4, new float[16], 4));
    }
}
