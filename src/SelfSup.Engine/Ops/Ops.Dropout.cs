using System.Numerics.Tensors;

namespace SelfSup.Engine;

public static partial class Ops
{
    /// <summary>
    /// Inverted dropout (Srivastava et al. 2014): in training each element is zeroed with probability p and the
    /// survivors scaled by 1/(1−p), drawing from <paramref name="rng"/> in element order; identity (the same
    /// tensor) when not training or p = 0. Backward multiplies by the same mask.
    /// </summary>
    public static Tensor Dropout(Tensor x, float p, bool training, Generator rng)
    {
        if (!(p >= 0f && p <= 1f)) throw new ArgumentException($"dropout probability {p} outside [0, 1] (input {ShapeUtil.Format(x.Shape)})");
        if (!training || p == 0f) return x;
        var xc = x.Contiguous();
        float keep = p < 1f ? 1f / (1f - p) : 0f;
        var mask = new float[xc.Numel];                                                      // 0 or 1/(1−p)
        for (int i = 0; i < mask.Length; i++) mask[i] = rng.NextFloat() >= p ? keep : 0f;
        var y = Empty(xc.Shape);
        TensorPrimitives.Multiply(xc.Span, mask, y.Span);
        return Graph.Record(y, [xc], dy =>
        {
            var dx = Empty(xc.Shape);
            TensorPrimitives.Multiply(dy.Contiguous().Span, mask, dx.Span);
            return [dx];
        });
    }
}
