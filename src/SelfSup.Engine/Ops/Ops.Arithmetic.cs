using SelfSup.Engine.Kernels;

namespace SelfSup.Engine;

/// <summary>
/// The differentiable operations. Each primitive's backward sits right under its forward and captures
/// what it needs as typed locals; composite ops get their gradient from the primitives they call.
/// </summary>
public static partial class Ops
{
    /// <summary>a + b with broadcasting. ∂/∂a = 1, ∂/∂b = 1 (summed over broadcast dims).</summary>
    public static Tensor Add(Tensor a, Tensor b)
    {
        var y = BinaryForward(BinaryOp.Add, a, b);
        return Graph.Record(y, [a, b], dy => [SumTo(dy, a.Shape), SumTo(dy, b.Shape)]);
    }

    /// <summary>a − b with broadcasting. ∂/∂a = 1, ∂/∂b = −1.</summary>
    public static Tensor Sub(Tensor a, Tensor b)
    {
        var y = BinaryForward(BinaryOp.Sub, a, b);
        return Graph.Record(y, [a, b], dy => [SumTo(dy, a.Shape), b.RequiresGrad ? SumTo(Neg(dy), b.Shape) : null]);
    }

    /// <summary>a · b with broadcasting. ∂/∂a = b, ∂/∂b = a.</summary>
    public static Tensor Mul(Tensor a, Tensor b)
    {
        var y = BinaryForward(BinaryOp.Mul, a, b);
        return Graph.Record(y, [a, b], dy =>
        [
            a.RequiresGrad ? SumTo(Mul(dy, b), a.Shape) : null,
            b.RequiresGrad ? SumTo(Mul(dy, a), b.Shape) : null,
        ]);
    }

    /// <summary>a / b with broadcasting. ∂/∂a = 1/b, ∂/∂b = −a/b².</summary>
    public static Tensor Div(Tensor a, Tensor b)
    {
        var y = BinaryForward(BinaryOp.Div, a, b);
        return Graph.Record(y, [a, b], dy =>
        [
            a.RequiresGrad ? SumTo(Div(dy, b), a.Shape) : null,
            b.RequiresGrad ? SumTo(Neg(Div(Mul(dy, y), b)), b.Shape) : null,
        ]);
    }

    /// <summary>a + s.</summary>
    public static Tensor Add(Tensor a, float s) => ScalarOp(BinaryOp.Add, a, s, dy => dy);
    /// <summary>a · s.</summary>
    public static Tensor Mul(Tensor a, float s) => ScalarOp(BinaryOp.Mul, a, s, dy => Mul(dy, s));
    /// <summary>s − a.</summary>
    public static Tensor RSub(float s, Tensor a)
    {
        var y = Empty(a.Shape);
        Elementwise.Apply(BinaryOp.Sub, s, a.Contiguous().Span, y.Span);
        return Graph.Record(y, [a], dy => [Neg(dy)]);
    }

    static Tensor ScalarOp(BinaryOp op, Tensor a, float s, Func<Tensor, Tensor> backward)
    {
        var y = Empty(a.Shape);
        Elementwise.Apply(op, a.Contiguous().Span, s, y.Span);
        return Graph.Record(y, [a], dy => [backward(dy)]);
    }

    /// <summary>−a.</summary>
    public static Tensor Neg(Tensor a) => ScalarOp(BinaryOp.Mul, a, -1f, dy => Neg(dy));

    /// <summary>Sum of two same-shape gradients outside autograd (used when gradients accumulate).</summary>
    internal static Tensor AddNoGrad(Tensor a, Tensor b)
    {
        using var _ = Grad.Disabled();
        return Add(a, b);
    }

    /// <summary>A new contiguous tensor whose contents are about to be overwritten.</summary>
    internal static Tensor Empty(int[] shape) => new(TensorMemory.Allocate(ShapeUtil.Numel(shape), zeroed: false), (int[])shape.Clone());

    static Tensor BinaryForward(BinaryOp op, Tensor a, Tensor b)
    {
        if (ShapeUtil.Equal(a.Shape, b.Shape) && a.IsContiguous && b.IsContiguous)
        {
            var same = Empty(a.Shape);
            Elementwise.Apply(op, a.Span, b.Span, same.Span);
            return same;
        }
        var shape = ShapeUtil.Broadcast(a.Shape, b.Shape);
        var ea = ExpandView(a, shape); var eb = ExpandView(b, shape);
        var y = Empty(shape);
        Elementwise.Broadcast(op, shape, ea.Data, ea.Offset, ea.Strides, eb.Data, eb.Offset, eb.Strides, y.Span);
        return y;
    }

    /// <summary>
    /// Sums <paramref name="t"/> down to <paramref name="shape"/>, undoing a broadcast: leading dims are
    /// summed away and dims of size 1 in <paramref name="shape"/> are summed with keepdim.
    /// </summary>
    public static Tensor SumTo(Tensor t, int[] shape)
    {
        if (ShapeUtil.Equal(t.Shape, shape)) return t;
        int lead = t.Rank - shape.Length;
        var dims = new List<int>();
        for (int d = 0; d < t.Rank; d++)
            if (d < lead || (shape[d - lead] == 1 && t.Shape[d] != 1)) dims.Add(d);
        var summed = Sum(t, dims.ToArray(), keepDim: true);
        return Reshape(summed, shape);
    }
}
