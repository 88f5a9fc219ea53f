using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace SelfSup.Engine.Kernels;

/// <summary>
/// Batch-norm kernels on spans, for data laid out (N, C, S): channel c owns N runs of S contiguous values,
/// the first at c·S and one every C·S. For S &gt; 1 a channel is processed run by run (each run vectorised);
/// for S = 1, an (N, C) batch, a block of channels is vectorised across each row ("column" kernels).
/// Sums accumulate in float within a run (or a block of <see cref="RowBlock"/> rows), then in double.
/// </summary>
public static class BatchNormKernels
{
    /// <summary>Rows summed in float before a column kernel flushes into its double accumulators.</summary>
    public const int RowBlock = 64;

    /// <summary>Mean and biased variance of one channel's runs: a pass for the mean, then one for centred squares.</summary>
    public static (double mean, double var) ChannelMoments(ReadOnlySpan<float> x, int runs, int runLength, int runStride)
    {
        long count = (long)runs * runLength;
        if (count == 0) return (0, 0);
        double sum = 0;
        for (int r = 0; r < runs; r++) sum += TensorPrimitives.Sum(x.Slice(r * runStride, runLength));
        double mean = sum / count;
        double squares = 0;
        for (int r = 0; r < runs; r++) squares += CentredSquares(x.Slice(r * runStride, runLength), (float)mean);
        return (mean, squares / count);
    }

    /// <summary>y = x·scale + shift over one channel's runs.</summary>
    public static void ChannelAffine(ReadOnlySpan<float> x, Span<float> y, int runs, int runLength, int runStride, float scale, float shift)
    {
        for (int r = 0; r < runs; r++) Affine(x.Slice(r * runStride, runLength), scale, shift, y.Slice(r * runStride, runLength));
    }

    /// <summary>(Σ dy, Σ dy·(x − mean)) over one channel's runs.</summary>
    public static (double sumDy, double sumDyCentred) ChannelGradSums(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, int runs, int runLength, int runStride, float mean)
    {
        double sumDy = 0, sumDyCentred = 0;
        for (int r = 0; r < runs; r++)
        {
            var (a, b) = GradSums(x.Slice(r * runStride, runLength), dy.Slice(r * runStride, runLength), mean);
            sumDy += a; sumDyCentred += b;
        }
        return (sumDy, sumDyCentred);
    }

    /// <summary>dx = a·dy + b·x + c over one channel's runs.</summary>
    public static void ChannelCombine(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, Span<float> dx, int runs, int runLength, int runStride, float a, float b, float c)
    {
        for (int r = 0; r < runs; r++)
            Combine(dy.Slice(r * runStride, runLength), x.Slice(r * runStride, runLength), a, b, c, dx.Slice(r * runStride, runLength));
    }

    /// <summary>Σ (x − m)² of a run.</summary>
    public static float CentredSquares(ReadOnlySpan<float> x, float m)
    {
        int i = 0, n = x.Length;
        float total = 0;
        ref float x0 = ref MemoryMarshal.GetReference(x);
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var acc = Vector512<float>.Zero; var vm = Vector512.Create(m);
            for (; i <= n - 16; i += 16) { var d = Vector512.LoadUnsafe(ref x0, (nuint)i) - vm; acc = Vector512.FusedMultiplyAdd(d, d, acc); }
            total = Vector512.Sum(acc);
        }
        else if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            var acc = Vector256<float>.Zero; var vm = Vector256.Create(m);
            for (; i <= n - 8; i += 8) { var d = Vector256.LoadUnsafe(ref x0, (nuint)i) - vm; acc = Vector256.FusedMultiplyAdd(d, d, acc); }
            total = Vector256.Sum(acc);
        }
        for (; i < n; i++) { float d = x[i] - m; total += d * d; }
        return total;
    }

    /// <summary>y = x·scale + shift (y may be x).</summary>
    public static void Affine(ReadOnlySpan<float> x, float scale, float shift, Span<float> y)
    {
        int i = 0, n = x.Length;
        if (y.Length < n) throw new ArgumentException("destination is shorter than the source");
        ref float x0 = ref MemoryMarshal.GetReference(x);
        ref float y0 = ref MemoryMarshal.GetReference(y);
        if (Vector512.IsHardwareAccelerated)
        {
            var vs = Vector512.Create(scale); var vb = Vector512.Create(shift);
            for (; i <= n - 16; i += 16) Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref x0, (nuint)i), vs, vb).StoreUnsafe(ref y0, (nuint)i);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var vs = Vector256.Create(scale); var vb = Vector256.Create(shift);
            for (; i <= n - 8; i += 8) Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref x0, (nuint)i), vs, vb).StoreUnsafe(ref y0, (nuint)i);
        }
        for (; i < n; i++) y[i] = MathF.FusedMultiplyAdd(x[i], scale, shift);
    }

    /// <summary>(Σ dy, Σ dy·(x − m)) of a run.</summary>
    public static (float sumDy, float sumDyCentred) GradSums(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, float m)
    {
        int i = 0, n = x.Length;
        if (dy.Length < n) throw new ArgumentException("gradient is shorter than the input");
        float sumDy = 0, sumDyCentred = 0;
        ref float x0 = ref MemoryMarshal.GetReference(x);
        ref float g0 = ref MemoryMarshal.GetReference(dy);
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var a = Vector512<float>.Zero; var b = Vector512<float>.Zero; var vm = Vector512.Create(m);
            for (; i <= n - 16; i += 16)
            {
                var g = Vector512.LoadUnsafe(ref g0, (nuint)i);
                a += g;
                b = Vector512.FusedMultiplyAdd(g, Vector512.LoadUnsafe(ref x0, (nuint)i) - vm, b);
            }
            sumDy = Vector512.Sum(a); sumDyCentred = Vector512.Sum(b);
        }
        else if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            var a = Vector256<float>.Zero; var b = Vector256<float>.Zero; var vm = Vector256.Create(m);
            for (; i <= n - 8; i += 8)
            {
                var g = Vector256.LoadUnsafe(ref g0, (nuint)i);
                a += g;
                b = Vector256.FusedMultiplyAdd(g, Vector256.LoadUnsafe(ref x0, (nuint)i) - vm, b);
            }
            sumDy = Vector256.Sum(a); sumDyCentred = Vector256.Sum(b);
        }
        for (; i < n; i++) { sumDy += dy[i]; sumDyCentred += dy[i] * (x[i] - m); }
        return (sumDy, sumDyCentred);
    }

    /// <summary>dx = a·dy + b·x + c.</summary>
    public static void Combine(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, float a, float b, float c, Span<float> dx)
    {
        int i = 0, n = dy.Length;
        if (x.Length < n || dx.Length < n) throw new ArgumentException("spans differ in length");
        ref float g0 = ref MemoryMarshal.GetReference(dy);
        ref float x0 = ref MemoryMarshal.GetReference(x);
        ref float d0 = ref MemoryMarshal.GetReference(dx);
        if (Vector512.IsHardwareAccelerated)
        {
            var va = Vector512.Create(a); var vb = Vector512.Create(b); var vc = Vector512.Create(c);
            for (; i <= n - 16; i += 16)
            {
                var t = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref x0, (nuint)i), vb, vc);
                Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref g0, (nuint)i), va, t).StoreUnsafe(ref d0, (nuint)i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var va = Vector256.Create(a); var vb = Vector256.Create(b); var vc = Vector256.Create(c);
            for (; i <= n - 8; i += 8)
            {
                var t = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref x0, (nuint)i), vb, vc);
                Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref g0, (nuint)i), va, t).StoreUnsafe(ref d0, (nuint)i);
            }
        }
        for (; i < n; i++) dx[i] = MathF.FusedMultiplyAdd(dy[i], a, MathF.FusedMultiplyAdd(x[i], b, c));
    }

    // ---- Batch norm followed by ReLU: y = max(x·scale + shift, 0); the gradient mask is y > 0 ----

    /// <summary>y = max(x·scale + shift, 0) over one channel's runs.</summary>
    public static void ChannelAffineRelu(ReadOnlySpan<float> x, Span<float> y, int runs, int runLength, int runStride, float scale, float shift)
    {
        for (int r = 0; r < runs; r++) AffineRelu(x.Slice(r * runStride, runLength), scale, shift, y.Slice(r * runStride, runLength));
    }

    /// <summary>(Σ g, Σ g·(x − mean)) over one channel's runs, g = dy·[y &gt; 0].</summary>
    public static (double sumDy, double sumDyCentred) ChannelGradSumsRelu(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, ReadOnlySpan<float> y, int runs, int runLength, int runStride, float mean)
    {
        double sumDy = 0, sumDyCentred = 0;
        for (int r = 0; r < runs; r++)
        {
            var (a, b) = GradSumsRelu(x.Slice(r * runStride, runLength), dy.Slice(r * runStride, runLength), y.Slice(r * runStride, runLength), mean);
            sumDy += a; sumDyCentred += b;
        }
        return (sumDy, sumDyCentred);
    }

    /// <summary>dx = a·g + b·x + c over one channel's runs, g = dy·[y &gt; 0].</summary>
    public static void ChannelCombineRelu(ReadOnlySpan<float> dy, ReadOnlySpan<float> y, ReadOnlySpan<float> x, Span<float> dx, int runs, int runLength, int runStride, float a, float b, float c)
    {
        for (int r = 0; r < runs; r++)
            CombineRelu(dy.Slice(r * runStride, runLength), y.Slice(r * runStride, runLength), x.Slice(r * runStride, runLength), a, b, c, dx.Slice(r * runStride, runLength));
    }

    /// <summary>y = max(x·scale + shift, 0) (y may be x).</summary>
    public static void AffineRelu(ReadOnlySpan<float> x, float scale, float shift, Span<float> y)
    {
        int i = 0, n = x.Length;
        if (y.Length < n) throw new ArgumentException("destination is shorter than the source");
        ref float x0 = ref MemoryMarshal.GetReference(x);
        ref float y0 = ref MemoryMarshal.GetReference(y);
        if (Vector512.IsHardwareAccelerated)
        {
            var vs = Vector512.Create(scale); var vb = Vector512.Create(shift);
            for (; i <= n - 16; i += 16)
                Vector512.Max(Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref x0, (nuint)i), vs, vb), Vector512<float>.Zero).StoreUnsafe(ref y0, (nuint)i);
        }
        for (; i < n; i++) y[i] = MathF.Max(MathF.FusedMultiplyAdd(x[i], scale, shift), 0f);
    }

    /// <summary>(Σ g, Σ g·(x − m)) of a run, g = dy·[y &gt; 0].</summary>
    public static (float sumDy, float sumDyCentred) GradSumsRelu(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, ReadOnlySpan<float> y, float m)
    {
        int i = 0, n = x.Length;
        if (dy.Length < n || y.Length < n) throw new ArgumentException("spans differ in length");
        float sumDy = 0, sumDyCentred = 0;
        ref float x0 = ref MemoryMarshal.GetReference(x);
        ref float g0 = ref MemoryMarshal.GetReference(dy);
        ref float y0 = ref MemoryMarshal.GetReference(y);
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var a = Vector512<float>.Zero; var b = Vector512<float>.Zero; var vm = Vector512.Create(m);
            for (; i <= n - 16; i += 16)
            {
                var live = Vector512.GreaterThan(Vector512.LoadUnsafe(ref y0, (nuint)i), Vector512<float>.Zero);
                var g = Vector512.LoadUnsafe(ref g0, (nuint)i) & live;
                a += g;
                b = Vector512.FusedMultiplyAdd(g, Vector512.LoadUnsafe(ref x0, (nuint)i) - vm, b);
            }
            sumDy = Vector512.Sum(a); sumDyCentred = Vector512.Sum(b);
        }
        for (; i < n; i++)
        {
            float g = y[i] > 0f ? dy[i] : 0f;
            sumDy += g; sumDyCentred += g * (x[i] - m);
        }
        return (sumDy, sumDyCentred);
    }

    /// <summary>dx = a·g + b·x + c, g = dy·[y &gt; 0].</summary>
    public static void CombineRelu(ReadOnlySpan<float> dy, ReadOnlySpan<float> y, ReadOnlySpan<float> x, float a, float b, float c, Span<float> dx)
    {
        int i = 0, n = dy.Length;
        if (y.Length < n || x.Length < n || dx.Length < n) throw new ArgumentException("spans differ in length");
        ref float g0 = ref MemoryMarshal.GetReference(dy);
        ref float y0 = ref MemoryMarshal.GetReference(y);
        ref float x0 = ref MemoryMarshal.GetReference(x);
        ref float d0 = ref MemoryMarshal.GetReference(dx);
        if (Vector512.IsHardwareAccelerated)
        {
            var va = Vector512.Create(a); var vb = Vector512.Create(b); var vc = Vector512.Create(c);
            for (; i <= n - 16; i += 16)
            {
                var live = Vector512.GreaterThan(Vector512.LoadUnsafe(ref y0, (nuint)i), Vector512<float>.Zero);
                var t = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref x0, (nuint)i), vb, vc);
                Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref g0, (nuint)i) & live, va, t).StoreUnsafe(ref d0, (nuint)i);
            }
        }
        for (; i < n; i++) dx[i] = MathF.FusedMultiplyAdd(y[i] > 0f ? dy[i] : 0f, a, MathF.FusedMultiplyAdd(x[i], b, c));
    }

    // ---- S = 1: a block of mean.Length channels, one row every rowStride values ----

    /// <summary>Per-column sums of a (rows × sums.Length) block whose rows start every <paramref name="rowStride"/> values.</summary>
    public static void ColumnSums(ReadOnlySpan<float> x, int rows, int rowStride, Span<double> sums)
    {
        int w = sums.Length;
        sums.Clear();
        var part = new float[w];
        for (int r0 = 0; r0 < rows; r0 += RowBlock)
        {
            Array.Clear(part);
            for (int r = r0; r < Math.Min(rows, r0 + RowBlock); r++) TensorPrimitives.Add(part, x.Slice(r * rowStride, w), part);
            for (int j = 0; j < w; j++) sums[j] += part[j];
        }
    }

    /// <summary>Per-column mean and biased variance of a block (two passes, like <see cref="ChannelMoments"/>).</summary>
    public static void ColumnMoments(ReadOnlySpan<float> x, int rows, int rowStride, Span<double> mean, Span<double> var)
    {
        int w = mean.Length;
        if (rows == 0) { mean.Clear(); var.Clear(); return; }
        ColumnSums(x, rows, rowStride, mean);
        var meanF = new float[w];
        for (int j = 0; j < w; j++) { mean[j] /= rows; meanF[j] = (float)mean[j]; }
        var part = new float[w]; var centred = new float[w];
        var.Clear();
        for (int r0 = 0; r0 < rows; r0 += RowBlock)
        {
            Array.Clear(part);
            for (int r = r0; r < Math.Min(rows, r0 + RowBlock); r++)
            {
                TensorPrimitives.Subtract(x.Slice(r * rowStride, w), meanF, centred);
                TensorPrimitives.MultiplyAdd(centred, centred, part, part);
            }
            for (int j = 0; j < w; j++) var[j] += part[j];
        }
        for (int j = 0; j < w; j++) var[j] /= rows;
    }

    /// <summary>y = x·scale + shift per column.</summary>
    public static void ColumnAffine(ReadOnlySpan<float> x, Span<float> y, int rows, int rowStride, ReadOnlySpan<float> scale, ReadOnlySpan<float> shift)
    {
        int w = scale.Length;
        for (int r = 0; r < rows; r++) TensorPrimitives.MultiplyAdd(x.Slice(r * rowStride, w), scale, shift, y.Slice(r * rowStride, w));
    }

    /// <summary>Per column, (Σ dy, Σ dy·(x − mean)).</summary>
    public static void ColumnGradSums(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, int rows, int rowStride, ReadOnlySpan<float> mean, Span<double> sumDy, Span<double> sumDyCentred)
    {
        int w = mean.Length;
        sumDy.Clear(); sumDyCentred.Clear();
        var partDy = new float[w]; var partDyCentred = new float[w]; var centred = new float[w];
        for (int r0 = 0; r0 < rows; r0 += RowBlock)
        {
            Array.Clear(partDy); Array.Clear(partDyCentred);
            for (int r = r0; r < Math.Min(rows, r0 + RowBlock); r++)
            {
                var g = dy.Slice(r * rowStride, w);
                TensorPrimitives.Add(partDy, g, partDy);
                TensorPrimitives.Subtract(x.Slice(r * rowStride, w), mean, centred);
                TensorPrimitives.MultiplyAdd(g, centred, partDyCentred, partDyCentred);
            }
            for (int j = 0; j < w; j++) { sumDy[j] += partDy[j]; sumDyCentred[j] += partDyCentred[j]; }
        }
    }

    /// <summary>dx = a·dy + b·x + c per column.</summary>
    public static void ColumnCombine(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, Span<float> dx, int rows, int rowStride, ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c)
    {
        int w = a.Length;
        for (int r = 0; r < rows; r++)
        {
            var d = dx.Slice(r * rowStride, w);
            TensorPrimitives.MultiplyAdd(dy.Slice(r * rowStride, w), a, c, d);
            TensorPrimitives.MultiplyAdd(x.Slice(r * rowStride, w), b, d, d);
        }
    }
}
