namespace SelfSup.Engine.Kernels;

// PLACEHOLDER: naive reference; replaced by the kernels branch (packed AVX-512 GEMM).
public static class Gemm
{
    public static void Multiply(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, float beta = 0f)
        => MultiplySingleThreaded(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, beta);

    public static void MultiplySingleThreaded(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, float beta = 0f)
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                float s = 0;
                for (int p = 0; p < k; p++)
                    s += (transA ? a[p * lda + i] : a[i * lda + p]) * (transB ? b[j * ldb + p] : b[p * ldb + j]);
                c[i * ldc + j] = beta == 0f ? s : s + beta * c[i * ldc + j];
            }
    }

    public static void MultiplyBatched(bool transA, bool transB, int batch, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, long strideA, ReadOnlySpan<float> b, int ldb, long strideB, Span<float> c, int ldc, long strideC, float beta = 0f)
    {
        for (int i = 0; i < batch; i++)
            MultiplySingleThreaded(transA, transB, m, n, k, a[(int)(i * strideA)..], lda, b[(int)(i * strideB)..], ldb, c[(int)(i * strideC)..], ldc, beta);
    }
}
