using SelfSup.Engine.Kernels;

namespace SelfSup.Engine;

public static partial class Ops
{
    /// <summary>exp(x) / Σ exp(x) along <paramref name="dim"/>. Backward: dx = y·(dy − ⟨dy, y⟩).</summary>
    public static Tensor Softmax(Tensor x, int dim) => SoftmaxAlong(x, dim, log: false);

    /// <summary>x − log Σ exp(x) along <paramref name="dim"/>. Backward: dx = dy − softmax·Σdy.</summary>
    public static Tensor LogSoftmax(Tensor x, int dim) => SoftmaxAlong(x, dim, log: true);

    static Tensor SoftmaxAlong(Tensor x, int dim, bool log)
    {
        int d = ShapeUtil.Dim(dim, x.Rank);
        var xc = x.Contiguous();
        var (outer, size, inner) = xc.Rank == 0 ? (1, 1, 1) : Split3(xc.Shape, d);
        int block = size * inner;
        var y = Empty(xc.Shape);                                                             // probabilities (or their logs)
        ForRanges(outer, xc.Numel, (o0, o1) =>
        {
            var scratch = inner == 1 ? null : new float[2 * inner];
            for (int o = o0; o < o1; o++)
            {
                var xs = xc.Data.AsSpan(xc.Offset + o * block, block); var ys = y.Data.AsSpan(o * block, block);
                if (inner == 1) SoftmaxKernels.Row(xs, ys, log);
                else SoftmaxKernels.Columns(xs, size, inner, log, ys, scratch);
            }
        });
        return Graph.Record(y, [xc], dy =>
        {
            var g = dy.Contiguous();
            var dx = Empty(xc.Shape);
            ForRanges(outer, xc.Numel, (o0, o1) =>
            {
                var scratch = inner == 1 ? null : new float[inner];
                for (int o = o0; o < o1; o++)
                {
                    var ys = y.Data.AsSpan(o * block, block); var gs = g.Data.AsSpan(g.Offset + o * block, block); var ds = dx.Data.AsSpan(o * block, block);
                    if (inner == 1) SoftmaxKernels.RowBackward(ys, gs, log, ds);
                    else SoftmaxKernels.ColumnsBackward(ys, gs, size, inner, log, ds, scratch);
                }
            });
            return [dx];
        });
    }

    /// <summary>
    /// Mean over N of −Σ_c t_c·log softmax(logits)_c with t = (1−ε)·onehot(target) + ε/C (torch's cross_entropy with
    /// label_smoothing). logits (N, C), targets (N) class indices → a scalar. Fused: backward = (softmax − t)·dy/N,
    /// recomputed from each row's saved log-sum-exp.
    /// </summary>
    public static Tensor CrossEntropy(Tensor logits, IntTensor targets, float labelSmoothing = 0f)
    {
        if (logits.Rank != 2 || targets.Rank != 1 || targets.Shape[0] != logits.Shape[0])
            throw new ArgumentException($"cross_entropy needs logits (N, C) and targets (N); got {ShapeUtil.Format(logits.Shape)} and {ShapeUtil.Format(targets.Shape)}");
        if (labelSmoothing < 0f || labelSmoothing > 1f) throw new ArgumentException($"cross_entropy: label smoothing {labelSmoothing} outside [0, 1]");
        int n = logits.Shape[0], c = logits.Shape[1];
        if (n == 0 || c == 0) throw new ArgumentException($"cross_entropy of empty logits {ShapeUtil.Format(logits.Shape)}");
        foreach (var t in targets.Data)
            if ((uint)t >= (uint)c) throw new ArgumentException($"cross_entropy: target {t} out of range for {c} classes (logits {ShapeUtil.Format(logits.Shape)})");
        var xc = logits.Contiguous();
        var target = (int[])targets.Data.Clone();                                           // the caller may reuse its label buffer
        var logSumExp = new float[n];                                                        // what backward needs
        var rowLoss = new double[n];
        ForRanges(n, xc.Numel, (r0, r1) =>
        {
            var scratch = new float[c];
            for (int r = r0; r < r1; r++)
            {
                var row = xc.Data.AsSpan(xc.Offset + r * c, c);
                logSumExp[r] = SoftmaxCrossEntropyKernels.LogSumExp(row, scratch);
                rowLoss[r] = SoftmaxCrossEntropyKernels.Loss(row, target[r], labelSmoothing, logSumExp[r]);
            }
        });
        double total = 0;
        foreach (var l in rowLoss) total += l;                                               // fixed order: thread-count independent
        var loss = Tensor.Scalar((float)(total / n));
        return Graph.Record(loss, [xc], dy =>
        {
            float scale = dy.Item() / n;
            var dx = Empty(xc.Shape);                                                        // (N, C)
            ForRanges(n, xc.Numel, (r0, r1) =>
            {
                for (int r = r0; r < r1; r++)
                    SoftmaxCrossEntropyKernels.Backward(xc.Data.AsSpan(xc.Offset + r * c, c), target[r], labelSmoothing, logSumExp[r], scale, dx.Data.AsSpan(r * c, c));
            });
            return [dx];
        });
    }
}
