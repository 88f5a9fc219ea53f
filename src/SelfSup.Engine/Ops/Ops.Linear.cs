using SelfSup.Engine.Kernels;

namespace SelfSup.Engine;

public static partial class Ops
{
    /// <summary>
    /// x·Wᵀ + b for x (..., in), weight (out, in), bias (out) or null → (..., out). One GEMM with the weight read
    /// transposed in place and the bias preloaded into the output (β = 1); nothing is copied. Backward:
    /// dx = dy·W, dW = dyᵀ·x, db = Σ_rows dy.
    /// </summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias)
    {
        if (weight.Rank != 2 || x.Rank < 1 || x.Shape[^1] != weight.Shape[1] || (bias is not null && (bias.Rank != 1 || bias.Shape[0] != weight.Shape[0])))
            throw new ArgumentException($"linear needs x (..., in), weight (out, in), bias (out); got x {ShapeUtil.Format(x.Shape)}, weight {ShapeUtil.Format(weight.Shape)}" +
                (bias is null ? "" : $", bias {ShapeUtil.Format(bias.Shape)}"));
        int outF = weight.Shape[0], inF = weight.Shape[1];
        var x2 = x.Rank == 2 ? x : Reshape(x, -1, inF);                                     // (M, in)
        int m = x2.Shape[0];
        var (xd, xT, ldx) = AsGemmOperand(x2);
        var (wd, wT, ldw) = AsGemmOperand(weight);
        var y = Empty([m, outF]);                                                            // (M, out)
        if (bias is not null)
        {
            var b = bias.Contiguous().Span;
            for (int r = 0; r < m; r++) b.CopyTo(y.Data.AsSpan(r * outF, outF));
        }
        Gemm.Multiply(xT, !wT, m, outF, inF, xd.Data.AsSpan(xd.Offset), ldx, wd.Data.AsSpan(wd.Offset), ldw, y.Span, outF, bias is null ? 0f : 1f);
        Tensor[] inputs = bias is null ? [x2, weight] : [x2, weight, bias];
        var result = Graph.Record(y, inputs, dy =>
        {
            var g = dy.Contiguous();
            Tensor? dx = null, dw = null, db = null;
            if (x2.RequiresGrad)
            {
                dx = Empty([m, inF]);                                                        // (M, out)·(out, in)
                Gemm.Multiply(false, wT, m, inF, outF, g.Span, outF, wd.Data.AsSpan(wd.Offset), ldw, dx.Span, inF);
            }
            if (weight.RequiresGrad)
            {
                dw = Empty([outF, inF]);                                                     // (out, M)·(M, in)
                Gemm.Multiply(true, xT, outF, inF, m, g.Span, outF, xd.Data.AsSpan(xd.Offset), ldx, dw.Span, inF);
            }
            if (bias is not null && bias.RequiresGrad)
            {
                var sums = new double[outF];
                BatchNormKernels.ColumnSums(g.Span, m, outF, sums);
                db = Tensor.From(Array.ConvertAll(sums, v => (float)v), outF);
            }
            return bias is null ? [dx, dw] : [dx, dw, db];
        });
        return x.Rank == 2 ? result : Reshape(result, [.. x.Shape[..^1], outF]);
    }
}
