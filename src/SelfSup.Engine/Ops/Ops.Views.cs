namespace SelfSup.Engine;

public static partial class Ops
{
    /// <summary>A contiguous copy. ∂/∂a = 1.</summary>
    public static Tensor Copy(Tensor a)
    {
        var y = Empty(a.Shape);
        StridedCopy.Copy(a, y);
        return Graph.Record(y, [a], dy => [dy]);
    }

    /// <summary>Same elements, new shape (one entry may be −1); a view when <paramref name="a"/> is contiguous.</summary>
    public static Tensor Reshape(Tensor a, params int[] shape)
    {
        var newShape = ShapeUtil.Infer(shape, a.Numel);
        var c = a.Contiguous();
        var y = new Tensor(c.Storage, c.Offset, newShape, Tensor.ContiguousStrides(newShape));
        return Graph.Record(y, [c], dy => [Reshape(dy, c.Shape)]);
    }

    /// <summary>Reorders dims: result dim i is input dim perm[i]. A view; backward applies the inverse permutation.</summary>
    public static Tensor Permute(Tensor a, params int[] perm)
    {
        if (perm.Length != a.Rank) throw new ArgumentException($"permutation of {perm.Length} dims for a rank-{a.Rank} tensor");
        var shape = new int[a.Rank]; var strides = new int[a.Rank]; var inverse = new int[a.Rank];
        var seen = new bool[a.Rank];
        for (int i = 0; i < perm.Length; i++)
        {
            int p = ShapeUtil.Dim(perm[i], a.Rank);
            if (seen[p]) throw new ArgumentException($"dim {p} repeats in permutation");
            seen[p] = true;
            shape[i] = a.Shape[p]; strides[i] = a.Strides[p]; inverse[p] = i;
        }
        var y = new Tensor(a.Storage, a.Offset, shape, strides);
        return Graph.Record(y, [a], dy => [Permute(dy, inverse)]);
    }

    /// <summary>Swaps two dims (a view).</summary>
    public static Tensor Transpose(Tensor a, int dim0, int dim1)
    {
        var perm = new int[a.Rank];
        for (int i = 0; i < perm.Length; i++) perm[i] = i;
        int d0 = ShapeUtil.Dim(dim0, a.Rank), d1 = ShapeUtil.Dim(dim1, a.Rank);
        (perm[d0], perm[d1]) = (perm[d1], perm[d0]);
        return Permute(a, perm);
    }

    /// <summary>Elements [start, start+length) along <paramref name="dim"/> (a view). Backward pads the gradient with zeros.</summary>
    public static Tensor Narrow(Tensor a, int dim, int start, int length)
    {
        int d = ShapeUtil.Dim(dim, a.Rank);
        if (start < 0 || length < 0 || start + length > a.Shape[d])
            throw new ArgumentException($"narrow [{start}, {start + length}) out of range for dim {d} of size {a.Shape[d]}");
        var shape = (int[])a.Shape.Clone(); shape[d] = length;
        var y = new Tensor(a.Storage, a.Offset + start * a.Strides[d], shape, (int[])a.Strides.Clone());
        return Graph.Record(y, [a], dy =>
        {
            var g = Tensor.Zeros(a.Shape);
            var window = new Tensor(g.Storage, start * g.Strides[d], shape, g.Strides);
            window.CopyFrom(dy);
            return [g];
        });
    }

    /// <summary>Row <paramref name="index"/> of dim 0, with that dim removed.</summary>
    public static Tensor Select(Tensor a, int dim, int index) => Squeeze(Narrow(a, dim, index, 1), dim);

    /// <summary>Broadcasts size-1 (or missing leading) dims to <paramref name="shape"/> as a stride-0 view. Backward sums them back.</summary>
    public static Tensor Expand(Tensor a, params int[] shape)
    {
        var y = ExpandView(a, shape);
        return Graph.Record(y, [a], dy => [SumTo(dy, a.Shape)]);
    }

    internal static Tensor ExpandView(Tensor a, int[] shape)
    {
        int lead = shape.Length - a.Rank;
        if (lead < 0) throw new ArgumentException($"cannot expand {ShapeUtil.Format(a.Shape)} to fewer dims {ShapeUtil.Format(shape)}");
        var strides = new int[shape.Length];
        for (int d = 0; d < shape.Length; d++)
        {
            if (d < lead) { strides[d] = 0; continue; }
            int size = a.Shape[d - lead];
            if (size == shape[d]) strides[d] = a.Strides[d - lead];
            else if (size == 1) strides[d] = 0;
            else throw new ArgumentException($"cannot expand {ShapeUtil.Format(a.Shape)} to {ShapeUtil.Format(shape)}");
        }
        return new Tensor(a.Storage, a.Offset, (int[])shape.Clone(), strides);
    }

    /// <summary>Inserts a size-1 dim at <paramref name="dim"/>.</summary>
    public static Tensor Unsqueeze(Tensor a, int dim)
    {
        int d = dim < 0 ? dim + a.Rank + 1 : dim;
        var shape = a.Shape.ToList(); shape.Insert(d, 1);
        return Reshape(a, shape.ToArray());
    }

    /// <summary>Removes the size-1 dim <paramref name="dim"/>.</summary>
    public static Tensor Squeeze(Tensor a, int dim)
    {
        int d = ShapeUtil.Dim(dim, a.Rank);
        if (a.Shape[d] != 1) throw new ArgumentException($"cannot squeeze dim {d} of size {a.Shape[d]}");
        var shape = a.Shape.ToList(); shape.RemoveAt(d);
        return Reshape(a, shape.ToArray());
    }

    /// <summary>Collapses dims from <paramref name="startDim"/> on into one (torch.flatten).</summary>
    public static Tensor Flatten(Tensor a, int startDim = 1)
    {
        int s = ShapeUtil.Dim(startDim, a.Rank);
        var shape = a.Shape[..s].Append(-1).ToArray();
        return Reshape(a, shape);
    }
}
