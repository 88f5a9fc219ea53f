namespace SelfSup.Engine;

/// <summary>
/// A contiguous integer tensor: class labels, gather/scatter indices, top-k results, and int64 buffers
/// such as BatchNorm's num_batches_tracked (stored as I64 in safetensors). No autograd.
/// </summary>
public sealed class IntTensor
{
    public int[] Data { get; }
    public int[] Shape { get; }

    public IntTensor(int[] data, params int[] shape)
    {
        if (data.Length != ShapeUtil.Numel(shape))
            throw new ArgumentException($"{data.Length} values do not fill shape {ShapeUtil.Format(shape)}");
        Data = data; Shape = (int[])shape.Clone();
    }

    public static IntTensor From(params int[] values) => new(values, values.Length);
    public static IntTensor Zeros(params int[] shape) => new(new int[ShapeUtil.Numel(shape)], shape);

    public int Rank => Shape.Length;
    public int Numel => Data.Length;
    public int Size(int dim) => Shape[ShapeUtil.Dim(dim, Rank)];
    public IntTensor Clone() => new((int[])Data.Clone(), Shape);
    public override string ToString() => $"IntTensor{ShapeUtil.Format(Shape)} [{string.Join(", ", Data.Take(8))}{(Data.Length > 8 ? ", ..." : "")}]";
}
