using System.Numerics.Tensors;

namespace SelfSup.Engine.Kernels;

/// <summary>
/// L2 normalisation y = x / max(‖x‖₂, eps) (torch's F.normalize), either along a contiguous row or, for a
/// (size × inner) block, along its first dim for each of the inner columns (vectorised across columns).
/// Backward: dx = (dy − y·⟨dy, y⟩)/d where d = max(‖x‖, eps), and the ⟨dy, y⟩ term drops when eps wins.
/// </summary>
public static class L2NormalizeKernels
{
    /// <summary>Normalises one row; returns its denominator max(‖x‖, eps).</summary>
    public static float Row(ReadOnlySpan<float> x, float eps, Span<float> y)
    {
        float denom = MathF.Max(MathF.Sqrt(TensorPrimitives.SumOfSquares(x)), eps);
        TensorPrimitives.Divide(x, denom, y);
        return denom;
    }

    public static void RowBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, float denom, float eps, Span<float> dx)
    {
        float along = denom > eps ? TensorPrimitives.Dot(dy, y) : 0f;
        TensorPrimitives.MultiplyAdd(y, -along, dy, dx);
        TensorPrimitives.Divide(dx, denom, dx);
    }

    /// <summary>Normalises each column of a (size × inner) block; fills <paramref name="denom"/> (inner values).</summary>
    public static void Columns(ReadOnlySpan<float> x, int size, float eps, Span<float> y, Span<float> denom)
    {
        int inner = denom.Length;
        denom.Clear();
        for (int k = 0; k < size; k++)
        {
            var row = x.Slice(k * inner, inner);
            TensorPrimitives.MultiplyAdd(row, row, denom, denom);
        }
        TensorPrimitives.Sqrt(denom, denom);
        TensorPrimitives.Max(denom, eps, denom);
        for (int k = 0; k < size; k++) TensorPrimitives.Divide(x.Slice(k * inner, inner), denom, y.Slice(k * inner, inner));
    }

    /// <summary>Backward of <see cref="Columns"/>; <paramref name="scratch"/> holds 2·inner floats.</summary>
    public static void ColumnsBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, int size, ReadOnlySpan<float> denom, float eps, Span<float> dx, Span<float> scratch)
    {
        int inner = denom.Length;
        var along = scratch[..inner]; var t = scratch.Slice(inner, inner);
        along.Clear();
        for (int k = 0; k < size; k++) TensorPrimitives.MultiplyAdd(dy.Slice(k * inner, inner), y.Slice(k * inner, inner), along, along);
        for (int i = 0; i < inner; i++) if (!(denom[i] > eps)) along[i] = 0f;
        for (int k = 0; k < size; k++)
        {
            var d = dx.Slice(k * inner, inner);
            TensorPrimitives.Multiply(y.Slice(k * inner, inner), along, t);
            TensorPrimitives.Subtract(dy.Slice(k * inner, inner), t, d);
            TensorPrimitives.Divide(d, denom, d);
        }
    }
}
