using SelfSup.Engine.Kernels;

namespace SelfSup.Engine;

public static partial class Ops
{
    /// <summary>
    /// Matrix product. (M,K)·(K,N) → (M,N); batched (B,M,K)·(B,K,N) → (B,M,N); and (...,M,K)·(K,N) with any
    /// leading dims (a linear layer). ∂A = dY·Bᵀ, ∂B = Aᵀ·dY (summed over the batch when B is shared).
    /// Transposed views are fed to GEMM as transposed operands, never copied.
    /// </summary>
    public static Tensor MatMul(Tensor a, Tensor b)
    {
        if (a.Rank >= 2 && b.Rank == 2)
        {
            if (a.Rank == 2) return MatMul2d(a, b);
            var lead = a.Shape[..^1];
            var flat = Reshape(a, -1, a.Shape[^1]);                          // (prod(lead), K)
            return Reshape(MatMul2d(flat, b), [.. lead, b.Shape[1]]);
        }
        if (a.Rank == 3 && b.Rank == 3) return BatchedMatMul(a, b);
        throw new ArgumentException($"matmul of {ShapeUtil.Format(a.Shape)} and {ShapeUtil.Format(b.Shape)} is not supported");
    }

    static Tensor MatMul2d(Tensor a, Tensor b)
    {
        int m = a.Shape[0], k = a.Shape[1], n = b.Shape[1];
        if (b.Shape[0] != k) throw new ArgumentException($"matmul: inner sizes differ, {ShapeUtil.Format(a.Shape)} · {ShapeUtil.Format(b.Shape)}");
        var y = Empty([m, n]);
        var (ad, at, lda) = AsGemmOperand(a);
        var (bd, bt, ldb) = AsGemmOperand(b);
        Gemm.Multiply(at, bt, m, n, k, ad.Data.AsSpan(ad.Offset), lda, bd.Data.AsSpan(bd.Offset), ldb, y.Span, n);
        return Graph.Record(y, [a, b], dy => [
            a.RequiresGrad ? MatMul2d(dy, Transpose(b, 0, 1)) : null,        // (M,N)·(N,K)
            b.RequiresGrad ? MatMul2d(Transpose(a, 0, 1), dy) : null,        // (K,M)·(M,N)
        ]);
    }

    static Tensor BatchedMatMul(Tensor a, Tensor b)
    {
        int batch = a.Shape[0], m = a.Shape[1], k = a.Shape[2], n = b.Shape[2];
        if (b.Shape[0] != batch || b.Shape[1] != k)
            throw new ArgumentException($"bmm: shapes {ShapeUtil.Format(a.Shape)} and {ShapeUtil.Format(b.Shape)} do not match");
        var ac = BatchOperand(a, out bool at, out int lda);
        var bc = BatchOperand(b, out bool bt, out int ldb);
        var y = Empty([batch, m, n]);
        Gemm.MultiplyBatched(at, bt, batch, m, n, k, ac.Data.AsSpan(ac.Offset), lda, ac.Strides[0], bc.Data.AsSpan(bc.Offset), ldb, bc.Strides[0], y.Span, n, (long)m * n);
        return Graph.Record(y, [a, b], dy => [
            a.RequiresGrad ? BatchedMatMul(dy, Transpose(b, 1, 2)) : null,
            b.RequiresGrad ? BatchedMatMul(Transpose(a, 1, 2), dy) : null,
        ]);
    }

    /// <summary>A 2-D operand as (tensor over the storage, transposed?, leading dimension), copying only when neither layout fits.</summary>
    static (Tensor data, bool trans, int ld) AsGemmOperand(Tensor t)
    {
        if (t.Strides[1] == 1 && t.Strides[0] >= t.Shape[1]) return (t, false, Math.Max(t.Strides[0], 1));
        if (t.Strides[0] == 1 && t.Strides[1] >= t.Shape[0]) return (t, true, Math.Max(t.Strides[1], 1));
        return (t.Detach().Contiguous(), false, Math.Max(t.Shape[1], 1));
    }

    /// <summary>A 3-D operand whose matrices are row-major or transposed, with a batch stride; copied otherwise.</summary>
    static Tensor BatchOperand(Tensor t, out bool trans, out int ld)
    {
        int rows = t.Shape[1], cols = t.Shape[2];
        if (t.Strides[2] == 1 && t.Strides[1] >= cols && t.Strides[0] >= rows * cols) { trans = false; ld = Math.Max(t.Strides[1], 1); return t; }
        if (t.Strides[1] == 1 && t.Strides[2] >= rows && t.Strides[0] >= rows * cols) { trans = true; ld = Math.Max(t.Strides[2], 1); return t; }
        trans = false; ld = cols;
        return t.Detach().Contiguous();
    }
}
