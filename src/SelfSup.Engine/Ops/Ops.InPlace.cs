using SelfSup.Engine.Kernels;

namespace SelfSup.Engine;

public static partial class Ops
{
    /// <summary>
    /// max(x, 0) written over x's own storage, like torch's ReLU(inplace=True): no new activation buffer, which
    /// halves what a ResNet keeps for backward. The gradient mask comes from the output (y &gt; 0 ⇔ x &gt; 0), so x's
    /// old values are not needed. Use it only where nothing else reads x afterwards and x's producer does not need
    /// its own output in backward (true of BatchNorm and Add, whose backward uses their inputs).
    /// </summary>
    public static Tensor ReluInPlace(Tensor x)
    {
        CheckInPlace(x, "relu_");
        var s = x.Span;
        Unary.Relu(s, s);
        var y = new Tensor(x.Storage, x.Offset, x.Shape, x.Strides);          // (same shape as x), same storage
        return Graph.Record(y, [x], dy => [ReluMask(y, dy)]);
    }

    /// <summary>
    /// relu(a + b) written over a's storage: a ResNet block's residual sum and final ReLU in one pass and no new
    /// buffer (torchvision does `out += identity; out = relu(out)` in place). Both inputs get the gradient
    /// dy·[y &gt; 0]. Same caveats as <see cref="ReluInPlace"/> for a; b is only read.
    /// </summary>
    public static Tensor AddReluInPlace(Tensor a, Tensor b)
    {
        CheckInPlace(a, "add_relu_");
        if (!ShapeUtil.Equal(a.Shape, b.Shape)) throw new ArgumentException($"add_relu_: shapes {ShapeUtil.Format(a.Shape)} and {ShapeUtil.Format(b.Shape)} differ");
        var s = a.Span;
        Unary.AddRelu(s, b.Contiguous().Span, s);
        var y = new Tensor(a.Storage, a.Offset, a.Shape, a.Strides);          // (same shape as a), same storage
        return Graph.Record(y, [a, b], dy =>
        {
            var d = ReluMask(y, dy);
            return [d, d];
        });
    }

    /// <summary>dy where the ReLU output is positive, else 0.</summary>
    static Tensor ReluMask(Tensor y, Tensor dy)
    {
        var dx = Empty(y.Shape);
        Unary.ReluBackward(y.Span, dy.Contiguous().Span, dx.Span);
        return dx;
    }

    static void CheckInPlace(Tensor x, string op)
    {
        if (!x.IsContiguous) throw new ArgumentException($"{op} needs a contiguous tensor");
        if (x.RequiresGrad && x.Node is null) throw new InvalidOperationException($"{op} on a leaf that requires grad (a parameter) would corrupt it");
    }
}
