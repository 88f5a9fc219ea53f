using System.Numerics.Tensors;
using SelfSup.Engine.Kernels;

namespace SelfSup.Engine;

public static partial class Ops
{
    /// <summary>A unary op: <paramref name="forward"/> fills y from x; <paramref name="backward"/> maps (x, y, dy) to dx.</summary>
    static Tensor UnaryOp(Tensor a, SpanMap forward, Func<Tensor, Tensor, Tensor, Tensor> backward)
    {
        var x = a.Contiguous();
        var y = Empty(x.Shape);
        forward(x.Span, y.Span);
        return Graph.Record(y, [x], dy => [backward(x, y, dy)]);
    }

    delegate void SpanMap(ReadOnlySpan<float> x, Span<float> y);

    /// <summary>eˣ. ∂ = y.</summary>
    public static Tensor Exp(Tensor a) => UnaryOp(a, (x, y) => TensorPrimitives.Exp(x, y), (x, y, dy) => Mul(dy, y));
    /// <summary>ln x. ∂ = 1/x.</summary>
    public static Tensor Log(Tensor a) => UnaryOp(a, (x, y) => TensorPrimitives.Log(x, y), (x, y, dy) => Div(dy, x));
    /// <summary>√x. ∂ = 1/(2y).</summary>
    public static Tensor Sqrt(Tensor a) => UnaryOp(a, (x, y) => TensorPrimitives.Sqrt(x, y), (x, y, dy) => Div(Mul(dy, 0.5f), y));
    /// <summary>|x|. ∂ = sign(x).</summary>
    public static Tensor Abs(Tensor a) => UnaryOp(a, (x, y) => TensorPrimitives.Abs(x, y), (x, y, dy) => Mul(dy, Map(x, v => MathF.Sign(v))));
    /// <summary>tanh x. ∂ = 1 − y².</summary>
    public static Tensor Tanh(Tensor a) => UnaryOp(a, (x, y) => TensorPrimitives.Tanh(x, y), (x, y, dy) => Mul(dy, Map(y, v => 1 - v * v)));
    /// <summary>σ(x) = 1/(1+e⁻ˣ). ∂ = y(1 − y).</summary>
    public static Tensor Sigmoid(Tensor a) => UnaryOp(a, (x, y) => TensorPrimitives.Sigmoid(x, y), (x, y, dy) => Mul(dy, Map(y, v => v * (1 - v))));
    /// <summary>max(x, 0). ∂ = 1 where x &gt; 0.</summary>
    public static Tensor Relu(Tensor a) => UnaryOp(a, Unary.Relu, (x, y, dy) => SpanBackward(x, dy, Unary.ReluBackward));
    /// <summary>x·Φ(x), exact (erf) form. ∂ = Φ(x) + x·φ(x).</summary>
    public static Tensor Gelu(Tensor a) => UnaryOp(a, Unary.Gelu, (x, y, dy) => SpanBackward(x, dy, Unary.GeluBackward));

    /// <summary>xᵖ for a constant exponent. ∂ = p·xᵖ⁻¹.</summary>
    public static Tensor Pow(Tensor a, float p) =>
        UnaryOp(a, (x, y) => TensorPrimitives.Pow(x, p, y), (x, y, dy) => Mul(dy, Map(x, v => p * MathF.Pow(v, p - 1))));

    /// <summary>Clamps into [lo, hi]. ∂ = 1 inside the range, 0 where clamped.</summary>
    public static Tensor Clamp(Tensor a, float lo = float.NegativeInfinity, float hi = float.PositiveInfinity) =>
        UnaryOp(a, (x, y) => Unary.Clamp(x, lo, hi, y), (x, y, dy) => Mul(dy, Map(x, v => v >= lo && v <= hi ? 1f : 0f)));

    /// <summary>Applies a scalar function element-wise outside autograd (for derivative masks).</summary>
    internal static Tensor Map(Tensor a, Func<float, float> f)
    {
        var x = a.Contiguous().Span;
        var y = Empty(a.Shape);
        var ys = y.Span;
        for (int i = 0; i < x.Length; i++) ys[i] = f(x[i]);
        return y;
    }

    delegate void SpanGrad(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx);

    static Tensor SpanBackward(Tensor x, Tensor dy, SpanGrad grad)
    {
        var dx = Empty(x.Shape);
        grad(x.Span, dy.Contiguous().Span, dx.Span);
        return dx;
    }
}
