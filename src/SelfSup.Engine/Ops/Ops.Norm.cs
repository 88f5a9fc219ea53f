using SelfSup.Engine.Kernels;

namespace SelfSup.Engine;

public static partial class Ops
{
    /// <summary>
    /// Batch normalisation (Ioffe &amp; Szegedy 2015) of x (N, C), (N, C, L) or (N, C, H, W) over all dims but C.
    /// Training (or no running stats): batch mean and biased variance normalise, and running stats, when given,
    /// move in place by <paramref name="momentum"/> toward the mean and the UNBIASED variance (torch). Eval: running
    /// stats. weight/bias (C) may be null (affine=false). Backward in one fused pass per channel:
    /// dx = (γ·σ⁻¹/M)·(M·dy − Σdy − x̂·Σdy·x̂), dγ = Σdy·x̂, dβ = Σdy.
    /// <para>With a <paramref name="group"/> of processes (SyncBN; Ioffe &amp; Szegedy's batch taken over every process,
    /// as torch.nn.SyncBatchNorm): the batch statistics are those of all processes' samples together (M = Σ their values),
    /// and so are Σdy and Σdy·x̂ in dx; dγ and dβ stay this process's own sums, because data parallelism then averages
    /// parameter gradients over the processes. Eval is unchanged.</para>
    /// </summary>
    public static Tensor BatchNorm(Tensor x, Tensor? weight, Tensor? bias, Tensor? runningMean, Tensor? runningVar, bool training, float momentum = 0.1f, float eps = 1e-5f,
        IProcessGroup? group = null)
        => BatchNormCore(x, weight, bias, runningMean, runningVar, training, momentum, eps, relu: false, group);

    /// <summary>
    /// relu(<see cref="BatchNorm"/>(x, ...)) in one pass: the forward writes max(γx̂ + β, 0) (no separate ReLU pass or
    /// buffer), and the backward applies the ReLU mask (output &gt; 0) inside batch norm's two gradient passes, i.e.
    /// g = dy·[y &gt; 0], dx = (γ·σ⁻¹/M)·(M·g − Σg − x̂·Σg·x̂), dγ = Σg·x̂, dβ = Σg. Same arguments and running-stat
    /// updates as <see cref="BatchNorm"/>.
    /// </summary>
    public static Tensor BatchNormRelu(Tensor x, Tensor? weight, Tensor? bias, Tensor? runningMean, Tensor? runningVar, bool training, float momentum = 0.1f, float eps = 1e-5f,
        IProcessGroup? group = null)
        => BatchNormCore(x, weight, bias, runningMean, runningVar, training, momentum, eps, relu: true, group);

    static Tensor BatchNormCore(Tensor x, Tensor? weight, Tensor? bias, Tensor? runningMean, Tensor? runningVar, bool training, float momentum, float eps, bool relu,
        IProcessGroup? group)
    {
        if (x.Rank < 2) throw new ArgumentException($"batch_norm needs (N, C, ...), got {ShapeUtil.Format(x.Shape)}");
        int n = x.Shape[0], c = x.Shape[1], s = ShapeUtil.Numel(x.Shape.AsSpan(2));
        CheckChannelVector("batch_norm", "weight", weight, c, x); CheckChannelVector("batch_norm", "bias", bias, c, x);
        CheckChannelVector("batch_norm", "running_mean", runningMean, c, x); CheckChannelVector("batch_norm", "running_var", runningVar, c, x);
        if ((runningMean is null) != (runningVar is null)) throw new ArgumentException("batch_norm: give both running_mean and running_var, or neither");
        long m = (long)n * s;                                                              // values per channel
        bool batchStats = training || runningMean is null;
        if (training && m <= 1) throw new ArgumentException($"batch_norm in training needs more than one value per channel, got input {ShapeUtil.Format(x.Shape)}");
        var xc = x.Contiguous();
        var layout = new ChannelLayout(n, c, s);
        var gamma = weight?.ToArray(); var beta = bias?.ToArray();
        var mean = new float[c]; var invStd = new float[c];                               // what backward needs
        var meanD = new double[c]; var varD = new double[c];
        if (!batchStats)
        {
            var rm = runningMean!.ToArray(); var rv = runningVar!.ToArray();
            for (int ch = 0; ch < c; ch++) { mean[ch] = rm[ch]; invStd[ch] = (float)(1.0 / Math.Sqrt(rv[ch] + eps)); }
        }
        bool synced = batchStats && group is { Size: > 1 };
        if (synced) m = SyncedMoments(layout, xc, group!, m, meanD, varD, mean, invStd, eps);       // all processes' batch
        var y = Empty(x.Shape);                                                              // same shape as x
        var scale = new float[c]; var shift = new float[c];                                  // y = x·scale + shift
        layout.ForUnits((c0, c1) =>                                                          // a channel, or a block of channels when S = 1
        {
            if (batchStats && !synced)
            {
                layout.Moments(xc, c0, c1, meanD, varD);
                for (int ch = c0; ch < c1; ch++) { mean[ch] = (float)meanD[ch]; invStd[ch] = (float)(1.0 / Math.Sqrt(varD[ch] + eps)); }
            }
            for (int ch = c0; ch < c1; ch++)
            {
                scale[ch] = (gamma is null ? 1f : gamma[ch]) * invStd[ch];
                shift[ch] = (beta is null ? 0f : beta[ch]) - mean[ch] * scale[ch];
            }
            layout.Affine(xc, y, c0, c1, scale, shift, relu);                               // while the channel is still in cache
        });
        if (training && runningMean is not null) UpdateRunningStats(runningMean, runningVar!, meanD, varD, m, momentum);

        var inputs = new List<Tensor> { xc };
        if (weight is not null) inputs.Add(weight);
        if (bias is not null) inputs.Add(bias);
        return Graph.Record(y, [.. inputs], dy =>
        {
            var g = dy.Contiguous();
            var mask = relu ? y : null;                                                     // g·[y > 0] inside the passes
            if (mask is not null && s == 1) { g = ReluMask(y, g); mask = null; }            // (N, C): mask once up front
            bool needW = weight is not null && weight.RequiresGrad, needB = bias is not null && bias.RequiresGrad;
            var dx = xc.RequiresGrad ? Empty(xc.Shape) : null;
            bool needSums = needW || needB || (dx is not null && batchStats);
            var sumDy = new double[c]; var sumDyCentred = new double[c];                  // Σdy, Σdy·(x − μ)
            var a = new float[c]; var b = new float[c]; var k = new float[c];             // dx = a·dy + b·x + k
            double[] ownSumDy = sumDy, ownSumDyCentred = sumDyCentred;                     // dβ, dγ: this process's
            if (synced)                                                                     // dx needs every process's sums
            {
                layout.ForUnits((c0, c1) => layout.GradSums(xc, g, mask, c0, c1, mean, sumDy, sumDyCentred));
                (ownSumDy, ownSumDyCentred) = ((double[])sumDy.Clone(), (double[])sumDyCentred.Clone());
                var both = new double[2 * c];
                sumDy.CopyTo(both, 0); sumDyCentred.CopyTo(both, c);
                group!.AllReduceSum(both);
                Array.Copy(both, 0, sumDy, 0, c); Array.Copy(both, c, sumDyCentred, 0, c);
            }
            layout.ForUnits((c0, c1) =>
            {
                if (needSums && !synced) layout.GradSums(xc, g, mask, c0, c1, mean, sumDy, sumDyCentred);
                if (dx is null) return;
                for (int ch = c0; ch < c1; ch++)
                {
                    double gi = (gamma is null ? 1.0 : gamma[ch]) * invStd[ch];
                    a[ch] = (float)gi;
                    if (!batchStats) continue;                                              // eval: dx = γ·σ⁻¹·dy
                    double bc = -gi * invStd[ch] * invStd[ch] * sumDyCentred[ch] / m;
                    b[ch] = (float)bc;
                    k[ch] = (float)(-gi * sumDy[ch] / m - bc * mean[ch]);
                }
                layout.Combine(g, mask, xc, dx, c0, c1, a, b, k);                               // same channels, still in cache
            });
            var result = new List<Tensor?> { dx };
            if (weight is not null) result.Add(needW ? ChannelTensor(c, ch => ownSumDyCentred[ch] * invStd[ch]) : null);
            if (bias is not null) result.Add(needB ? ChannelTensor(c, ch => ownSumDy[ch]) : null);
            return [.. result];
        });
    }

    /// <summary>
    /// Layer normalisation (Ba et al. 2016) over the trailing dims <paramref name="normalizedShape"/>, with optional
    /// element-wise weight and bias of that shape. Backward per row: dx = σ⁻¹·(g − mean(g) − x̂·mean(g·x̂)), g = dy·γ.
    /// </summary>
    public static Tensor LayerNorm(Tensor x, int[] normalizedShape, Tensor? weight, Tensor? bias, float eps = 1e-5f)
    {
        int k = normalizedShape.Length;
        if (k == 0 || k > x.Rank || !ShapeUtil.Equal(x.Shape.AsSpan(x.Rank - k), normalizedShape))
            throw new ArgumentException($"layer_norm: normalized shape {ShapeUtil.Format(normalizedShape)} is not the trailing shape of input {ShapeUtil.Format(x.Shape)}");
        foreach (var (t, name) in new[] { (weight, "weight"), (bias, "bias") })
            if (t is not null && !ShapeUtil.Equal(t.Shape, normalizedShape))
                throw new ArgumentException($"layer_norm: {name} has shape {ShapeUtil.Format(t.Shape)}, expected {ShapeUtil.Format(normalizedShape)}");
        int d = ShapeUtil.Numel(normalizedShape), rows = d == 0 ? 0 : x.Numel / d;
        var xc = x.Contiguous();
        var gamma = weight?.ToArray(); var beta = bias?.ToArray();
        var mean = new float[rows]; var invStd = new float[rows];                        // what backward needs
        var y = Empty(x.Shape);                                                              // same shape as x
        ForRanges(rows, xc.Numel, (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
                (mean[r], invStd[r]) = LayerNormKernels.Forward(xc.Data.AsSpan(xc.Offset + r * d, d), gamma, beta, eps, y.Data.AsSpan(r * d, d));
        });
        var inputs = new List<Tensor> { xc };
        if (weight is not null) inputs.Add(weight);
        if (bias is not null) inputs.Add(bias);
        return Graph.Record(y, [.. inputs], dy =>
        {
            var g = dy.Contiguous();
            bool needX = xc.RequiresGrad, needW = weight is not null && weight.RequiresGrad, needB = bias is not null && bias.RequiresGrad;
            var dx = needX ? Empty(xc.Shape) : null;
            // γ/β gradients: float partials per fixed block of rows (independent of the thread count), summed in double.
            int blocks = (rows + LayerNormRowBlock - 1) / LayerNormRowBlock;
            var gammaParts = needW ? new float[blocks * d] : null; var betaParts = needB ? new float[blocks * d] : null;
            ForRanges(blocks, xc.Numel, (b0, b1) =>
            {
                var scratch = new float[2 * d];
                for (int b = b0; b < b1; b++)
                    for (int r = b * LayerNormRowBlock; r < Math.Min(rows, (b + 1) * LayerNormRowBlock); r++)
                        LayerNormKernels.Backward(xc.Data.AsSpan(xc.Offset + r * d, d), g.Data.AsSpan(g.Offset + r * d, d), gamma, mean[r], invStd[r],
                            dx is null ? default : dx.Data.AsSpan(r * d, d), gammaParts is null ? default : gammaParts.AsSpan(b * d, d),
                            betaParts is null ? default : betaParts.AsSpan(b * d, d), scratch);
            });
            var result = new List<Tensor?> { dx };
            if (weight is not null) result.Add(gammaParts is null ? null : SumBlocks(gammaParts, blocks, normalizedShape));
            if (bias is not null) result.Add(betaParts is null ? null : SumBlocks(betaParts, blocks, normalizedShape));
            return [.. result];
        });
    }

    const int LayerNormRowBlock = 32;

    static Tensor SumBlocks(float[] parts, int blocks, int[] shape)
    {
        int d = parts.Length / Math.Max(blocks, 1);
        var total = new double[d];
        for (int b = 0; b < blocks; b++)
            for (int j = 0; j < d; j++) total[j] += parts[b * d + j];
        var data = new float[d];
        for (int j = 0; j < d; j++) data[j] = (float)total[j];
        return Tensor.From(data, shape);
    }

    /// <summary>
    /// x / max(‖x‖₂, eps) along <paramref name="dim"/> (torch's F.normalize). Backward: dx = (dy − y·⟨dy, y⟩)/max(‖x‖, eps),
    /// the projection dropping where eps wins.
    /// </summary>
    public static Tensor Normalize(Tensor x, int dim = 1, float eps = 1e-12f)
    {
        int dd = ShapeUtil.Dim(dim, x.Rank);
        var xc = x.Contiguous();
        var (outer, size, inner) = Split3(xc.Shape, dd);
        var y = Empty(xc.Shape);                                                             // same shape as x
        var denom = new float[outer * inner];                                               // max(‖x‖, eps) per vector
        int block = size * inner;
        ForRanges(outer, xc.Numel, (o0, o1) =>
        {
            for (int o = o0; o < o1; o++)
            {
                var xs = xc.Data.AsSpan(xc.Offset + o * block, block); var ys = y.Data.AsSpan(o * block, block);
                if (inner == 1) denom[o] = L2NormalizeKernels.Row(xs, eps, ys);
                else L2NormalizeKernels.Columns(xs, size, eps, ys, denom.AsSpan(o * inner, inner));
            }
        });
        return Graph.Record(y, [xc], dy =>
        {
            var g = dy.Contiguous();
            var dx = Empty(xc.Shape);
            ForRanges(outer, xc.Numel, (o0, o1) =>
            {
                var scratch = inner == 1 ? null : new float[2 * inner];
                for (int o = o0; o < o1; o++)
                {
                    var ys = y.Data.AsSpan(o * block, block); var gs = g.Data.AsSpan(g.Offset + o * block, block); var ds = dx.Data.AsSpan(o * block, block);
                    if (inner == 1) L2NormalizeKernels.RowBackward(ys, gs, denom[o], eps, ds);
                    else L2NormalizeKernels.ColumnsBackward(ys, gs, size, denom.AsSpan(o * inner, inner), eps, ds, scratch);
                }
            });
            return [dx];
        });
    }

    /// <summary>SyncBN's statistics: this process's per-channel mean and variance of its <paramref name="m"/> values,
    /// combined with every process's as Chan et al. (1979) combine partial moments — the global mean from Σ mᵣ·μᵣ, then
    /// the variance from Σ mᵣ·(σᵣ² + (μᵣ − μ)²), which avoids E[x²] − μ²'s cancellation; returns the values per channel
    /// over all processes.</summary>
    static long SyncedMoments(ChannelLayout layout, Tensor x, IProcessGroup group, long m, double[] meanD, double[] varD,
        float[] mean, float[] invStd, float eps)
    {
        int c = meanD.Length;
        layout.ForUnits((c0, c1) => layout.Moments(x, c0, c1, meanD, varD));
        var sums = new double[c + 1];                                                    // Σ mᵣ·μᵣ per channel, Σ mᵣ
        for (int ch = 0; ch < c; ch++) sums[ch] = meanD[ch] * m;
        sums[c] = m;
        group.AllReduceSum(sums);
        double total = sums[c];
        var spread = new double[c];                                                      // Σ mᵣ·(σᵣ² + (μᵣ − μ)²)
        for (int ch = 0; ch < c; ch++)
        {
            double d = meanD[ch] - sums[ch] / total;
            spread[ch] = m * (varD[ch] + d * d);
        }
        group.AllReduceSum(spread);
        for (int ch = 0; ch < c; ch++)
        {
            meanD[ch] = sums[ch] / total;
            varD[ch] = spread[ch] / total;
            mean[ch] = (float)meanD[ch]; invStd[ch] = (float)(1.0 / Math.Sqrt(varD[ch] + eps));
        }
        return (long)total;
    }

    static void UpdateRunningStats(Tensor runningMean, Tensor runningVar, double[] mean, double[] var, long m, float momentum)
    {
        double unbias = (double)m / (m - 1);
        for (int ch = 0; ch < mean.Length; ch++)
        {
            int im = runningMean.Offset + ch * runningMean.Strides[0], iv = runningVar.Offset + ch * runningVar.Strides[0];
            runningMean.Data[im] = (float)((1 - momentum) * runningMean.Data[im] + momentum * mean[ch]);
            runningVar.Data[iv] = (float)((1 - momentum) * runningVar.Data[iv] + momentum * var[ch] * unbias);
        }
    }

    static Tensor ChannelTensor(int c, Func<int, double> value)
    {
        var data = new float[c];
        for (int ch = 0; ch < c; ch++) data[ch] = (float)value(ch);
        return Tensor.From(data, c);
    }

    static void CheckChannelVector(string op, string name, Tensor? t, int c, Tensor x)
    {
        if (t is not null && (t.Rank != 1 || t.Shape[0] != c))
            throw new ArgumentException($"{op}: {name} has shape {ShapeUtil.Format(t.Shape)}, expected ({c}) for input {ShapeUtil.Format(x.Shape)}");
    }

    /// <summary>
    /// Batch norm's (N, C, S) layout and its passes over a unit of channels [c0, c1): one channel (runs of S) when
    /// S &gt; 1, a block of at least 64 channels across rows when S = 1. Units run in parallel; each channel's sums are
    /// computed by one thread in a fixed order, so results do not depend on the thread count.
    /// </summary>
    sealed record ChannelLayout(int N, int C, int S)
    {
        int Numel => N * C * S;

        public void ForUnits(Action<int, int> body)
        {
            if (S == 1)
            {
                int blocks = Math.Max(1, Math.Min(C / 64, Numel < ParallelWork ? 1 : Workers.Threads * 2)), c = C;
                if (blocks == 1) { if (c > 0) body(0, c); return; }
                Workers.For(blocks, i => body((int)((long)i * c / blocks), (int)((long)(i + 1) * c / blocks)));
            }
            else ForRanges(C, Numel, (r0, r1) => { for (int ch = r0; ch < r1; ch++) body(ch, ch + 1); });
        }

        Span<float> Of(Tensor t) => t.Data.AsSpan(t.Offset, Numel);

        public void Moments(Tensor x, int c0, int c1, double[] mean, double[] var)
        {
            if (S == 1) BatchNormKernels.ColumnMoments(Of(x)[c0..], N, C, mean.AsSpan(c0, c1 - c0), var.AsSpan(c0, c1 - c0));
            else for (int ch = c0; ch < c1; ch++) (mean[ch], var[ch]) = BatchNormKernels.ChannelMoments(Of(x)[(ch * S)..], N, S, C * S);
        }

        /// <summary>y = x·scale + shift, then max(·, 0) when <paramref name="relu"/>.</summary>
        public void Affine(Tensor x, Tensor y, int c0, int c1, float[] scale, float[] shift, bool relu)
        {
            if (S == 1)
            {
                BatchNormKernels.ColumnAffine(Of(x)[c0..], Of(y)[c0..], N, C, scale.AsSpan(c0, c1 - c0), shift.AsSpan(c0, c1 - c0));
                if (relu) for (int r = 0; r < N; r++) { var row = Of(y).Slice(r * C + c0, c1 - c0); System.Numerics.Tensors.TensorPrimitives.Max(row, 0f, row); }
            }
            else if (relu) for (int ch = c0; ch < c1; ch++) BatchNormKernels.ChannelAffineRelu(Of(x)[(ch * S)..], Of(y)[(ch * S)..], N, S, C * S, scale[ch], shift[ch]);
            else for (int ch = c0; ch < c1; ch++) BatchNormKernels.ChannelAffine(Of(x)[(ch * S)..], Of(y)[(ch * S)..], N, S, C * S, scale[ch], shift[ch]);
        }

        /// <summary>Per channel (Σ dy, Σ dy·(x − mean)), dy masked by [y &gt; 0] when <paramref name="mask"/> (= y, S &gt; 1 only) is given.</summary>
        public void GradSums(Tensor x, Tensor dy, Tensor? mask, int c0, int c1, float[] mean, double[] sumDy, double[] sumDyCentred)
        {
            if (S == 1)
                BatchNormKernels.ColumnGradSums(Of(x)[c0..], Of(dy)[c0..], N, C, mean.AsSpan(c0, c1 - c0), sumDy.AsSpan(c0, c1 - c0), sumDyCentred.AsSpan(c0, c1 - c0));
            else if (mask is not null) for (int ch = c0; ch < c1; ch++)
                    (sumDy[ch], sumDyCentred[ch]) = BatchNormKernels.ChannelGradSumsRelu(Of(x)[(ch * S)..], Of(dy)[(ch * S)..], Of(mask)[(ch * S)..], N, S, C * S, mean[ch]);
            else for (int ch = c0; ch < c1; ch++)
                    (sumDy[ch], sumDyCentred[ch]) = BatchNormKernels.ChannelGradSums(Of(x)[(ch * S)..], Of(dy)[(ch * S)..], N, S, C * S, mean[ch]);
        }

        /// <summary>dx = a·dy + b·x + k per channel, dy masked by [y &gt; 0] when <paramref name="mask"/> (= y, S &gt; 1 only) is given.</summary>
        public void Combine(Tensor dy, Tensor? mask, Tensor x, Tensor dx, int c0, int c1, float[] a, float[] b, float[] k)
        {
            if (S == 1)
                BatchNormKernels.ColumnCombine(Of(dy)[c0..], Of(x)[c0..], Of(dx)[c0..], N, C, a.AsSpan(c0, c1 - c0), b.AsSpan(c0, c1 - c0), k.AsSpan(c0, c1 - c0));
            else if (mask is not null) for (int ch = c0; ch < c1; ch++)
                    BatchNormKernels.ChannelCombineRelu(Of(dy)[(ch * S)..], Of(mask)[(ch * S)..], Of(x)[(ch * S)..], Of(dx)[(ch * S)..], N, S, C * S, a[ch], b[ch], k[ch]);
            else for (int ch = c0; ch < c1; ch++)
                    BatchNormKernels.ChannelCombine(Of(dy)[(ch * S)..], Of(x)[(ch * S)..], Of(dx)[(ch * S)..], N, S, C * S, a[ch], b[ch], k[ch]);
        }
    }
}
