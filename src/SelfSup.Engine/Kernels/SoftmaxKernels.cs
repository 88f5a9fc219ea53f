using System.Numerics.Tensors;

namespace SelfSup.Engine.Kernels;

/// <summary>
/// Softmax and log-softmax on spans, stabilised by the maximum: along a contiguous row, or along the first
/// dim of a (size × inner) block for each of the inner columns (vectorised across columns).
/// Backward: softmax dx = y·(dy − ⟨dy, y⟩); log-softmax dx = dy − eʸ·Σdy.
/// </summary>
public static class SoftmaxKernels
{
    /// <summary>Softmax (or log-softmax) of one row; y may be x for softmax, not for log-softmax.</summary>
    public static void Row(ReadOnlySpan<float> x, Span<float> y, bool log)
    {
        if (x.IsEmpty) return;
        float max = TensorPrimitives.Max(x);
        TensorPrimitives.Subtract(x, max, y);
        TensorPrimitives.Exp(y, y);
        float sum = TensorPrimitives.Sum(y);
        if (log)
        {
            TensorPrimitives.Subtract(x, max, y);
            TensorPrimitives.Subtract(y, MathF.Log(sum), y);
        }
        else TensorPrimitives.Divide(y, sum, y);
    }

    /// <summary>Backward of <see cref="Row"/> from its output y; dx may be dy.</summary>
    public static void RowBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, bool log, Span<float> dx)
    {
        if (log)
        {
            float total = TensorPrimitives.Sum(dy);
            TensorPrimitives.Exp(y, dx);
            TensorPrimitives.MultiplyAdd(dx, -total, dy, dx);
        }
        else
        {
            float along = TensorPrimitives.Dot(dy, y);
            TensorPrimitives.Subtract(dy, along, dx);
            TensorPrimitives.Multiply(dx, y, dx);
        }
    }

    /// <summary>Softmax over the first dim of a (size × inner) block; <paramref name="scratch"/> holds 2·inner floats.</summary>
    public static void Columns(ReadOnlySpan<float> x, int size, int inner, bool log, Span<float> y, Span<float> scratch)
    {
        if (size == 0) return;
        var max = scratch[..inner]; var sum = scratch.Slice(inner, inner);
        x[..inner].CopyTo(max);
        for (int k = 1; k < size; k++) TensorPrimitives.Max(max, x.Slice(k * inner, inner), max);
        sum.Clear();
        for (int k = 0; k < size; k++)
        {
            var yr = y.Slice(k * inner, inner);
            TensorPrimitives.Subtract(x.Slice(k * inner, inner), max, yr);
            TensorPrimitives.Exp(yr, yr);
            TensorPrimitives.Add(sum, yr, sum);
        }
        if (log)
        {
            TensorPrimitives.Log(sum, sum);
            for (int k = 0; k < size; k++)
            {
                var yr = y.Slice(k * inner, inner);
                TensorPrimitives.Subtract(x.Slice(k * inner, inner), max, yr);
                TensorPrimitives.Subtract(yr, sum, yr);
            }
        }
        else for (int k = 0; k < size; k++) TensorPrimitives.Divide(y.Slice(k * inner, inner), sum, y.Slice(k * inner, inner));
    }

    /// <summary>Backward of <see cref="Columns"/>; <paramref name="scratch"/> holds inner floats.</summary>
    public static void ColumnsBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, int size, int inner, bool log, Span<float> dx, Span<float> scratch)
    {
        var total = scratch[..inner];
        total.Clear();
        if (log)
        {
            for (int k = 0; k < size; k++) TensorPrimitives.Add(total, dy.Slice(k * inner, inner), total);
            for (int k = 0; k < size; k++)
            {
                var d = dx.Slice(k * inner, inner);
                TensorPrimitives.Exp(y.Slice(k * inner, inner), d);
                TensorPrimitives.Multiply(d, total, d);
                TensorPrimitives.Subtract(dy.Slice(k * inner, inner), d, d);
            }
        }
        else
        {
            for (int k = 0; k < size; k++) TensorPrimitives.MultiplyAdd(dy.Slice(k * inner, inner), y.Slice(k * inner, inner), total, total);
            for (int k = 0; k < size; k++)
            {
                var d = dx.Slice(k * inner, inner);
                TensorPrimitives.Subtract(dy.Slice(k * inner, inner), total, d);
                TensorPrimitives.Multiply(d, y.Slice(k * inner, inner), d);
            }
        }
    }
}
