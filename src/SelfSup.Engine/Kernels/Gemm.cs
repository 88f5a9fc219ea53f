namespace SelfSup.Engine.Kernels;

/// <summary>
/// Single-precision general matrix multiply (SGEMM) on row-major spans:
/// C = op(A)·op(B) + beta·C. Packed, register-blocked and cache-blocked after Goto &amp; van de Geijn
/// (2008) and BLIS; the micro-kernel uses AVX-512F, AVX2+FMA or a portable Vector128 path.
/// </summary>
public static class Gemm
{
    /// <summary>
    /// C = op(A)·op(B) + beta·C, row-major. op(A) is m×k (A stored k×m with leading dimension lda when
    /// <paramref name="transA"/>), op(B) is k×n (B stored n×k when <paramref name="transB"/>), C is m×n.
    /// beta == 0 overwrites C (its old content, even NaN, is ignored). Multi-threaded via
    /// <see cref="Workers"/> when large enough.
    /// </summary>
    public static void Multiply(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, float beta = 0f)
        => MultiplyCore(GemmDriver.BestPath, true, transA, transB, m, n, k, a, lda, b, ldb, c, ldc, beta);

    /// <summary>Same as <see cref="Multiply"/>, but always on the calling thread only.</summary>
    public static void MultiplySingleThreaded(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, float beta = 0f)
        => MultiplyCore(GemmDriver.BestPath, false, transA, transB, m, n, k, a, lda, b, ldb, c, ldc, beta);

    /// <summary>
    /// Batched GEMM: for i in [0, batch), C_i = op(A_i)·op(B_i) + beta·C_i where matrix i starts at
    /// element offset i·strideA / i·strideB / i·strideC. A stride of 0 broadcasts that operand.
    /// Parallelised over the batch when it is large enough, otherwise within each product.
    /// </summary>
    public static unsafe void MultiplyBatched(bool transA, bool transB, int batch, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, long strideA, ReadOnlySpan<float> b, int ldb, long strideB,
        Span<float> c, int ldc, long strideC, float beta = 0f)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        if (batch == 0) return;
        ArgumentOutOfRangeException.ThrowIfNegative(strideA);
        ArgumentOutOfRangeException.ThrowIfNegative(strideB);
        ArgumentOutOfRangeException.ThrowIfNegative(strideC);
        Validate(transA, transB, m, n, k, lda, ldb, ldc);
        CheckLength(a.Length, RequiredA(transA, m, k, lda), strideA, batch, nameof(a));
        CheckLength(b.Length, RequiredB(transB, n, k, ldb), strideB, batch, nameof(b));
        CheckLength(c.Length, (long)(m - 1) * ldc + n, strideC, batch, nameof(c));
        if (m == 0 || n == 0) return;

        fixed (float* pa = a, pb = b, pc = c)
        {
            var job = new BatchJob
            {
                TransA = transA, TransB = transB, M = m, N = n, K = k,
                A = pa, Lda = lda, StrideA = strideA, B = pb, Ldb = ldb, StrideB = strideB,
                C = pc, Ldc = ldc, StrideC = strideC, Beta = beta,
            };
            // Parallel over the batch when every thread gets at least two products; otherwise let
            // each product use all threads.
            if (batch >= 2 * Workers.Threads) Workers.For(batch, job.RunOne);
            else
                for (int i = 0; i < batch; i++)
                    GemmDriver.Run(GemmDriver.BestPath, true, transA, transB, m, n, k, pa + i * strideA, lda,
                        pb + i * strideB, ldb, pc + i * strideC, ldc, beta);
        }
    }

    /// <summary>Test/benchmark entry point: forces a micro-kernel path and threading mode.</summary>
    internal static unsafe void MultiplyCore(GemmPath path, bool parallel, bool transA, bool transB,
        int m, int n, int k, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
        Span<float> c, int ldc, float beta)
    {
        Validate(transA, transB, m, n, k, lda, ldb, ldc);
        CheckLength(a.Length, RequiredA(transA, m, k, lda), 0, 1, nameof(a));
        CheckLength(b.Length, RequiredB(transB, n, k, ldb), 0, 1, nameof(b));
        CheckLength(c.Length, (long)(m - 1) * ldc + n, 0, 1, nameof(c));
        if (m == 0 || n == 0) return;
        fixed (float* pa = a, pb = b, pc = c)
            GemmDriver.Run(path, parallel, transA, transB, m, n, k, pa, lda, pb, ldb, pc, ldc, beta);
    }

    private static void Validate(bool transA, bool transB, int m, int n, int k, int lda, int ldb, int ldc)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        if (lda < Math.Max(1, transA ? m : k)) throw new ArgumentOutOfRangeException(nameof(lda));
        if (ldb < Math.Max(1, transB ? k : n)) throw new ArgumentOutOfRangeException(nameof(ldb));
        if (ldc < Math.Max(1, n)) throw new ArgumentOutOfRangeException(nameof(ldc));
    }

    private static long RequiredA(bool transA, int m, int k, int lda)
        => m == 0 || k == 0 ? 0 : transA ? (long)(k - 1) * lda + m : (long)(m - 1) * lda + k;

    private static long RequiredB(bool transB, int n, int k, int ldb)
        => n == 0 || k == 0 ? 0 : transB ? (long)(n - 1) * ldb + k : (long)(k - 1) * ldb + n;

    private static void CheckLength(int length, long perMatrix, long stride, int batch, string name)
    {
        if (perMatrix <= 0) return;
        if (length < perMatrix + stride * (batch - 1))
            throw new ArgumentException($"Span '{name}' is too short for the given sizes and strides.", name);
    }

    /// <summary>Pointer bundle for one batched call (a class so worker closures can carry pointers).</summary>
    private sealed unsafe class BatchJob
    {
        public bool TransA, TransB;
        public int M, N, K, Lda, Ldb, Ldc;
        public float* A, B, C;
        public long StrideA, StrideB, StrideC;
        public float Beta;

        public void RunOne(int i) => GemmDriver.Run(GemmDriver.BestPath, false, TransA, TransB, M, N, K,
            A + i * StrideA, Lda, B + i * StrideB, Ldb, C + i * StrideC, Ldc, Beta);
    }
}
