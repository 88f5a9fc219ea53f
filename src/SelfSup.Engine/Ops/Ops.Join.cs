namespace SelfSup.Engine;

public static partial class Ops
{
    /// <summary>Concatenates along <paramref name="dim"/>. Backward hands each input its slice of the gradient.</summary>
    public static Tensor Cat(Tensor[] parts, int dim = 0)
    {
        if (parts.Length == 0) throw new ArgumentException("cat of no tensors");
        int d = ShapeUtil.Dim(dim, parts[0].Rank);
        var shape = (int[])parts[0].Shape.Clone();
        shape[d] = 0;
        foreach (var p in parts)
        {
            if (p.Rank != shape.Length) throw new ArgumentException("cat: tensors differ in rank");
            for (int k = 0; k < shape.Length; k++)
                if (k != d && p.Shape[k] != shape[k]) throw new ArgumentException($"cat: shapes {ShapeUtil.Format(parts[0].Shape)} and {ShapeUtil.Format(p.Shape)} differ outside dim {d}");
            shape[d] += p.Shape[d];
        }
        var y = Empty(shape);
        var offsets = new int[parts.Length];
        int at = 0;
        for (int i = 0; i < parts.Length; i++)
        {
            offsets[i] = at;
            var pShape = parts[i].Shape;
            new Tensor(y.Storage, at * y.Strides[d], pShape, y.Strides).CopyFrom(parts[i]);
            at += pShape[d];
        }
        return Graph.Record(y, parts, dy =>
        {
            var grads = new Tensor?[parts.Length];
            for (int i = 0; i < parts.Length; i++)
                if (parts[i].RequiresGrad) grads[i] = Narrow(dy, d, offsets[i], parts[i].Shape[d]).Contiguous();
            return grads;
        });
    }

    /// <summary>Stacks equal-shape tensors along a new dim.</summary>
    public static Tensor Stack(Tensor[] parts, int dim = 0) =>
        Cat(parts.Select(p => Unsqueeze(p, dim < 0 ? dim + p.Rank + 1 : dim)).ToArray(), dim < 0 ? dim + parts[0].Rank + 1 : dim);

    /// <summary>Rows <paramref name="index"/> of <paramref name="a"/> along <paramref name="dim"/>. Backward scatter-adds into the rows.</summary>
    public static Tensor IndexSelect(Tensor a, int dim, int[] index)
    {
        int d = ShapeUtil.Dim(dim, a.Rank);
        var c = a.Contiguous();
        int outer = ShapeUtil.Numel(c.Shape.AsSpan(0, d)), size = c.Shape[d], inner = ShapeUtil.Numel(c.Shape.AsSpan(d + 1));
        foreach (var i in index) if ((uint)i >= (uint)size) throw new ArgumentException($"index {i} out of range for dim {d} of size {size}");
        var shape = (int[])c.Shape.Clone(); shape[d] = index.Length;
        var y = Empty(shape);
        var src = c.Span; var dst = y.Span;
        for (int o = 0; o < outer; o++)
            for (int j = 0; j < index.Length; j++)
                src.Slice((o * size + index[j]) * inner, inner).CopyTo(dst.Slice((o * index.Length + j) * inner, inner));
        return Graph.Record(y, [c], dy =>
        {
            var g = Tensor.Zeros(c.Shape);
            var gs = g.Span; var ds = dy.Contiguous().Span;
            for (int o = 0; o < outer; o++)
                for (int j = 0; j < index.Length; j++)
                    Kernels.Elementwise.AddInPlace(gs.Slice((o * size + index[j]) * inner, inner), ds.Slice((o * index.Length + j) * inner, inner));
            return [g];
        });
    }

    /// <summary>y[..., j, ...] = a[..., index[..., j, ...], ...] along <paramref name="dim"/> (torch.gather). Backward is <see cref="ScatterAdd"/>.</summary>
    public static Tensor Gather(Tensor a, int dim, IntTensor index)
    {
        int d = ShapeUtil.Dim(dim, a.Rank);
        var c = a.Contiguous();
        CheckIndexShape(c.Shape, index, d, "gather");
        var y = Empty(index.Shape);
        var (outer, n, inner) = Split3(index.Shape, d);
        int size = c.Shape[d];
        var src = c.Span; var dst = y.Span;
        for (int o = 0; o < outer; o++)
            for (int j = 0; j < n; j++)
                for (int i = 0; i < inner; i++)
                {
                    int at = (o * n + j) * inner + i;
                    int k = index.Data[at];
                    if ((uint)k >= (uint)size) throw new ArgumentException($"gather index {k} out of range for dim {d} of size {size}");
                    dst[at] = src[(o * size + k) * inner + i];
                }
        return Graph.Record(y, [c], dy => [ScatterAdd(Tensor.Zeros(c.Shape), d, index, dy.Contiguous())]);
    }

    /// <summary>
    /// Returns a copy of <paramref name="target"/> with src[..., j, ...] added at target[..., index[..., j, ...], ...]
    /// along <paramref name="dim"/> (torch.scatter_add). ∂/∂target = 1, ∂/∂src = gather of the gradient.
    /// </summary>
    public static Tensor ScatterAdd(Tensor target, int dim, IntTensor index, Tensor src)
    {
        int d = ShapeUtil.Dim(dim, target.Rank);
        if (!ShapeUtil.Equal(index.Shape, src.Shape)) throw new ArgumentException($"scatter_add: index {ShapeUtil.Format(index.Shape)} and src {ShapeUtil.Format(src.Shape)} differ");
        CheckIndexShape(target.Shape, index, d, "scatter_add");
        var y = target.Contiguous().Clone();
        var (outer, n, inner) = Split3(index.Shape, d);
        int size = y.Shape[d];
        var s = src.Contiguous().Span; var dst = y.Span;
        for (int o = 0; o < outer; o++)
            for (int j = 0; j < n; j++)
                for (int i = 0; i < inner; i++)
                {
                    int at = (o * n + j) * inner + i;
                    int k = index.Data[at];
                    if ((uint)k >= (uint)size) throw new ArgumentException($"scatter_add index {k} out of range for dim {d} of size {size}");
                    dst[(o * size + k) * inner + i] += s[at];
                }
        return Graph.Record(y, [target, src], dy => [dy, src.RequiresGrad ? Gather(dy, d, index) : null]);
    }

    static (int outer, int n, int inner) Split3(int[] shape, int d) =>
        (ShapeUtil.Numel(shape.AsSpan(0, d)), shape[d], ShapeUtil.Numel(shape.AsSpan(d + 1)));

    /// <summary>Index and data must agree outside dim d (torch allows a smaller index there; nothing here needs it).</summary>
    static void CheckIndexShape(int[] dataShape, IntTensor index, int d, string op)
    {
        if (index.Rank != dataShape.Length) throw new ArgumentException($"{op}: index rank {index.Rank} differs from tensor rank {dataShape.Length}");
        for (int k = 0; k < dataShape.Length; k++)
            if (k != d && index.Shape[k] != dataShape[k])
                throw new ArgumentException($"{op}: index shape {ShapeUtil.Format(index.Shape)} must match {ShapeUtil.Format(dataShape)} outside dim {d}");
    }
}
