using System.Numerics.Tensors;

namespace SelfSup.Engine.Kernels;

/// <summary>The arithmetic behind broadcasting binary ops.</summary>
public enum BinaryOp { Add, Sub, Mul, Div }

/// <summary>
/// Element-wise kernels on spans (System.Numerics.Tensors' TensorPrimitives where it has the kernel),
/// and the strided broadcast loop that feeds them contiguous inner runs.
/// </summary>
public static class Elementwise
{
    public static void AddInPlace(Span<float> acc, ReadOnlySpan<float> x) =>
        ParallelSpans.For(acc, x, acc, static (p, q, y) => TensorPrimitives.Add(p, q, y));

    /// <summary>dst = a ∘ b for equal-length runs, split across workers when long.</summary>
    public static void Apply(BinaryOp op, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> dst) =>
        ParallelSpans.For(a, b, dst, (p, q, y) => ApplySerial(op, p, q, y));

    static void ApplySerial(BinaryOp op, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> dst)
    {
        switch (op)
        {
            case BinaryOp.Add: TensorPrimitives.Add(a, b, dst); break;
            case BinaryOp.Sub: TensorPrimitives.Subtract(a, b, dst); break;
            case BinaryOp.Mul: TensorPrimitives.Multiply(a, b, dst); break;
            default: TensorPrimitives.Divide(a, b, dst); break;
        }
    }

    /// <summary>dst = a ∘ s.</summary>
    public static void Apply(BinaryOp op, ReadOnlySpan<float> a, float s, Span<float> dst) =>
        ParallelSpans.For(a, dst, (x, y) => ApplySerial(op, x, s, y));

    static void ApplySerial(BinaryOp op, ReadOnlySpan<float> a, float s, Span<float> dst)
    {
        switch (op)
        {
            case BinaryOp.Add: TensorPrimitives.Add(a, s, dst); break;
            case BinaryOp.Sub: TensorPrimitives.Subtract(a, s, dst); break;
            case BinaryOp.Mul: TensorPrimitives.Multiply(a, s, dst); break;
            default: TensorPrimitives.Multiply(a, 1f / s, dst); break;
        }
    }

    /// <summary>dst = s ∘ b.</summary>
    public static void Apply(BinaryOp op, float s, ReadOnlySpan<float> b, Span<float> dst)
    {
        switch (op)
        {
            case BinaryOp.Add: TensorPrimitives.Add(b, s, dst); break;
            case BinaryOp.Sub: TensorPrimitives.Subtract(s, b, dst); break;
            case BinaryOp.Mul: TensorPrimitives.Multiply(b, s, dst); break;
            default: TensorPrimitives.Divide(s, b, dst); break;
        }
    }

    static float Apply(BinaryOp op, float x, float y) => op switch
    {
        BinaryOp.Add => x + y,
        BinaryOp.Sub => x - y,
        BinaryOp.Mul => x * y,
        _ => x / y,
    };

    /// <summary>
    /// out = a ∘ b where a and b are already expanded to <paramref name="shape"/> (stride 0 on broadcast dims)
    /// and out is contiguous. Adjacent dims are merged first so the inner run is as long as possible.
    /// </summary>
    public static void Broadcast(BinaryOp op, int[] shape, float[] a, int aOff, int[] aStr, float[] b, int bOff, int[] bStr, Span<float> dst)
    {
        var (dims, sa, sb) = Coalesce(shape, aStr, bStr);
        int rank = dims.Length;
        int inner = rank == 0 ? 1 : dims[rank - 1];
        int ia = rank == 0 ? 1 : sa[rank - 1], ib = rank == 0 ? 1 : sb[rank - 1];
        int outer = inner == 0 ? 0 : dst.Length / inner;
        var index = new int[Math.Max(rank - 1, 0)];
        int pa = aOff, pb = bOff;
        for (int o = 0; o < outer; o++)
        {
            var d = dst.Slice(o * inner, inner);
            if (ia == 1 && ib == 1) ApplySerial(op, a.AsSpan(pa, inner), b.AsSpan(pb, inner), d);
            else if (ia == 1 && ib == 0) ApplySerial(op, a.AsSpan(pa, inner), b[pb], d);
            else if (ia == 0 && ib == 1) Apply(op, a[pa], b.AsSpan(pb, inner), d);
            else for (int i = 0; i < inner; i++) d[i] = Apply(op, a[pa + i * ia], b[pb + i * ib]);
            for (int k = rank - 2; k >= 0; k--)
            {
                pa += sa[k]; pb += sb[k];
                if (++index[k] < dims[k]) break;
                pa -= sa[k] * dims[k]; pb -= sb[k] * dims[k];
                index[k] = 0;
            }
        }
    }

    /// <summary>Merges dim k into k+1 when both operands step through them as one run; drops size-1 dims.</summary>
    static (int[] dims, int[] sa, int[] sb) Coalesce(int[] shape, int[] aStr, int[] bStr)
    {
        var dims = new List<int>(); var sa = new List<int>(); var sb = new List<int>();
        for (int d = 0; d < shape.Length; d++)
        {
            if (shape[d] == 1) continue;
            int last = dims.Count - 1;
            if (last >= 0 && sa[last] == aStr[d] * shape[d] && sb[last] == bStr[d] * shape[d])
            {
                dims[last] *= shape[d]; sa[last] = aStr[d]; sb[last] = bStr[d];
            }
            else { dims.Add(shape[d]); sa.Add(aStr[d]); sb.Add(bStr[d]); }
        }
        return (dims.ToArray(), sa.ToArray(), sb.ToArray());
    }
}
