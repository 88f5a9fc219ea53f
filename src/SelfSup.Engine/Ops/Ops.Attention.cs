using SelfSup.Engine.Kernels;

namespace SelfSup.Engine;

public static partial class Ops
{
    /// <summary>
    /// softmax(q·kᵀ/√D)·v (Vaswani et al. 2017) for q (B, H, Lq, D), k (B, H, Lk, D), v (B, H, Lk, Dv) → (B, H, Lq, Dv),
    /// as batched GEMMs over B·H with the probabilities P kept for a fused backward:
    /// dV = Pᵀ·dO, dS = P∘(dO·vᵀ − rowsum(P∘dO·vᵀ))/√D, dQ = dS·k, dK = dSᵀ·q.
    /// </summary>
    public static Tensor ScaledDotProductAttention(Tensor q, Tensor k, Tensor v)
    {
        if (q.Rank != 4 || k.Rank != 4 || v.Rank != 4 || !ShapeUtil.Equal(q.Shape.AsSpan(0, 2), k.Shape.AsSpan(0, 2)) || !ShapeUtil.Equal(k.Shape.AsSpan(0, 3), v.Shape.AsSpan(0, 3)) || q.Shape[3] != k.Shape[3])
            throw new ArgumentException($"attention needs q (B, H, Lq, D), k (B, H, Lk, D), v (B, H, Lk, Dv); got {ShapeUtil.Format(q.Shape)}, {ShapeUtil.Format(k.Shape)}, {ShapeUtil.Format(v.Shape)}");
        int bh = q.Shape[0] * q.Shape[1], lq = q.Shape[2], lk = k.Shape[2], d = q.Shape[3], dv = v.Shape[3];
        float scale = 1f / MathF.Sqrt(d);
        var qc = q.Contiguous(); var kc = k.Contiguous(); var vc = v.Contiguous();
        var p = new float[bh * lq * lk];                                                     // (B·H, Lq, Lk) probabilities
        Gemm.MultiplyBatched(false, true, bh, lq, lk, d, qc.Data.AsSpan(qc.Offset), d, (long)lq * d, kc.Data.AsSpan(kc.Offset), d, (long)lk * d, p, lk, (long)lq * lk);
        ForRanges(bh * lq, p.Length, (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
            {
                var row = p.AsSpan(r * lk, lk);
                System.Numerics.Tensors.TensorPrimitives.Multiply(row, scale, row);
                SoftmaxKernels.Row(row, row, log: false);
            }
        });
        var o = Empty([q.Shape[0], q.Shape[1], lq, dv]);                                    // (B, H, Lq, Dv)
        Gemm.MultiplyBatched(false, false, bh, lq, dv, lk, p, lk, (long)lq * lk, vc.Data.AsSpan(vc.Offset), dv, (long)lk * dv, o.Span, dv, (long)lq * dv);
        return Graph.Record(o, [qc, kc, vc], dy =>
        {
            var g = dy.Contiguous();                                                         // (B, H, Lq, Dv)
            var gs = g.Data.AsSpan(g.Offset, g.Numel);
            Tensor? dq = null, dk = null, dvT = null;
            if (vc.RequiresGrad)
            {
                dvT = Empty(vc.Shape);                                                       // Pᵀ·dO: (Lk, Lq)·(Lq, Dv)
                Gemm.MultiplyBatched(true, false, bh, lk, dv, lq, p, lk, (long)lq * lk, gs, dv, (long)lq * dv, dvT.Span, dv, (long)lk * dv);
            }
            if (qc.RequiresGrad || kc.RequiresGrad)
            {
                var ds = new float[p.Length];                                                // dO·vᵀ: (Lq, Dv)·(Dv, Lk), then through softmax and the scale
                Gemm.MultiplyBatched(false, true, bh, lq, lk, dv, gs, dv, (long)lq * dv, vc.Data.AsSpan(vc.Offset), dv, (long)lk * dv, ds, lk, (long)lq * lk);
                ForRanges(bh * lq, p.Length, (r0, r1) =>
                {
                    for (int r = r0; r < r1; r++)
                    {
                        var row = ds.AsSpan(r * lk, lk);
                        SoftmaxKernels.RowBackward(p.AsSpan(r * lk, lk), row, log: false, row);
                        System.Numerics.Tensors.TensorPrimitives.Multiply(row, scale, row);
                    }
                });
                if (qc.RequiresGrad)
                {
                    dq = Empty(qc.Shape);                                                    // dS·k: (Lq, Lk)·(Lk, D)
                    Gemm.MultiplyBatched(false, false, bh, lq, d, lk, ds, lk, (long)lq * lk, kc.Data.AsSpan(kc.Offset), d, (long)lk * d, dq.Span, d, (long)lq * d);
                }
                if (kc.RequiresGrad)
                {
                    dk = Empty(kc.Shape);                                                    // dSᵀ·q: (Lk, Lq)·(Lq, D)
                    Gemm.MultiplyBatched(true, false, bh, lk, d, lq, ds, lk, (long)lq * lk, qc.Data.AsSpan(qc.Offset), d, (long)lq * d, dk.Span, d, (long)lk * d);
                }
            }
            return [dq, dk, dvT];
        });
    }
}
