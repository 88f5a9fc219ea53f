namespace SelfSup.Engine;

public sealed partial class Tensor
{
    public static Tensor Zeros(params int[] shape) => new(TensorMemory.Allocate(ShapeUtil.Numel(shape), zeroed: true), (int[])shape.Clone());

    public static Tensor Ones(params int[] shape) => Full(1f, shape);

    public static Tensor Full(float value, params int[] shape)
    {
        var data = new float[ShapeUtil.Numel(shape)];
        Array.Fill(data, value);
        return new(data, (int[])shape.Clone());
    }

    /// <summary>A one-element, zero-rank tensor.</summary>
    public static Tensor Scalar(float value) => new([value], []);

    /// <summary>Wraps <paramref name="data"/> (not copied) as a contiguous tensor of <paramref name="shape"/>.</summary>
    public static Tensor From(float[] data, params int[] shape)
    {
        if (data.Length != ShapeUtil.Numel(shape))
            throw new ArgumentException($"{data.Length} values do not fill shape {ShapeUtil.Format(shape)}");
        return new(data, (int[])shape.Clone());
    }

    /// <summary>A 1-D tensor from the values (copied).</summary>
    public static Tensor From(ReadOnlySpan<float> values) => new(values.ToArray(), [values.Length]);

    /// <summary>start, start+step, ... below end (like torch.arange).</summary>
    public static Tensor Arange(float start, float end, float step = 1f)
    {
        int n = Math.Max(0, (int)Math.Ceiling((end - start) / step));
        var data = new float[n];
        for (int i = 0; i < n; i++) data[i] = start + i * step;
        return new(data, [n]);
    }

    public static Tensor Arange(int n) => Arange(0, n);

    /// <summary>Standard-normal samples from an explicit generator.</summary>
    public static Tensor Randn(Generator rng, params int[] shape)
    {
        var data = new float[ShapeUtil.Numel(shape)];
        for (int i = 0; i < data.Length; i++) data[i] = (float)rng.NextNormal();
        return new(data, (int[])shape.Clone());
    }

    /// <summary>Uniform samples in [low, high) from an explicit generator.</summary>
    public static Tensor Uniform(Generator rng, float low, float high, params int[] shape)
    {
        var data = new float[ShapeUtil.Numel(shape)];
        for (int i = 0; i < data.Length; i++) data[i] = rng.Uniform(low, high);
        return new(data, (int[])shape.Clone());
    }

    /// <summary>A new contiguous tensor of the same shape, all zeros.</summary>
    public Tensor ZerosLike() => Zeros(Shape);

    /// <summary>A contiguous copy that shares nothing and is cut from the graph.</summary>
    public Tensor Clone() => From(ToArray(), Shape);

    /// <summary>Copies <paramref name="source"/>'s values into this tensor in place (shapes must match; no autograd).</summary>
    public void CopyFrom(Tensor source)
    {
        if (!ShapeUtil.Equal(Shape, source.Shape))
            throw new ArgumentException($"copy from {ShapeUtil.Format(source.Shape)} into {ShapeUtil.Format(Shape)}");
        if (IsContiguous && source.IsContiguous) source.Span.CopyTo(Span);
        else StridedCopy.Copy(source, this);
    }
}
