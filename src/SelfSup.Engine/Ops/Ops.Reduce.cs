using System.Numerics.Tensors;

namespace SelfSup.Engine;

public static partial class Ops
{
    /// <summary>Sum over <paramref name="dims"/> (all dims when empty). ∂/∂a = 1, broadcast back.</summary>
    public static Tensor Sum(Tensor a, int[] dims, bool keepDim = false)
    {
        var reduce = ReducedDims(a.Rank, dims);
        var keptShape = KeptShape(a.Shape, reduce);                         // reduced dims as size 1
        var y = Empty(keptShape);
        SumKernel(a, reduce, y.Span);
        var outShape = keepDim ? keptShape : DropDims(a.Shape, reduce);
        var result = new Tensor(y.Storage, outShape);
        return Graph.Record(result, [a], dy => [Expand(Reshape(dy, keptShape), a.Shape).Contiguous()]);
    }

    /// <summary>Sum of all elements (a scalar).</summary>
    public static Tensor Sum(Tensor a) => Sum(a, []);
    public static Tensor Sum(Tensor a, int dim, bool keepDim = false) => Sum(a, [dim], keepDim);

    /// <summary>Mean over <paramref name="dims"/> (all when empty) = Sum / count.</summary>
    public static Tensor Mean(Tensor a, int[] dims, bool keepDim = false)
    {
        var reduce = ReducedDims(a.Rank, dims);
        long count = 1;
        for (int d = 0; d < a.Rank; d++) if (reduce[d]) count *= a.Shape[d];
        return Mul(Sum(a, dims, keepDim), 1f / count);
    }

    public static Tensor Mean(Tensor a) => Mean(a, []);
    public static Tensor Mean(Tensor a, int dim, bool keepDim = false) => Mean(a, [dim], keepDim);

    /// <summary>Variance over <paramref name="dims"/>: mean of squared deviations, divided by n−1 when unbiased.</summary>
    public static Tensor Var(Tensor a, int[] dims, bool unbiased = true, bool keepDim = false)
    {
        var reduce = ReducedDims(a.Rank, dims);
        long n = 1;
        for (int d = 0; d < a.Rank; d++) if (reduce[d]) n *= a.Shape[d];
        var centred = Sub(a, Mean(a, dims, keepDim: true));
        return Mul(Sum(Mul(centred, centred), dims, keepDim), 1f / (unbiased ? n - 1 : n));
    }

    /// <summary>Maximum along <paramref name="dim"/> with its first index. The gradient flows to that index only.</summary>
    public static (Tensor values, IntTensor indices) Max(Tensor a, int dim, bool keepDim = false)
    {
        int d = ShapeUtil.Dim(dim, a.Rank);
        var c = a.Contiguous();
        var (outer, size, inner) = Split3(c.Shape, d);
        var keptShape = (int[])c.Shape.Clone(); keptShape[d] = 1;
        var values = Empty(keptShape);
        var indices = new int[outer * inner];
        var src = c.Span; var v = values.Span;
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int best = 0; float bestValue = src[o * size * inner + i];
                for (int k = 1; k < size; k++)
                {
                    float x = src[(o * size + k) * inner + i];
                    if (x > bestValue || float.IsNaN(x)) { bestValue = x; best = k; if (float.IsNaN(x)) break; }
                }
                v[o * inner + i] = bestValue; indices[o * inner + i] = best;
            }
        var outShape = keepDim ? keptShape : DropDims(c.Shape, [.. Enumerable.Range(0, c.Rank).Select(k => k == d)]);
        var index = new IntTensor(indices, keptShape);
        var result = Graph.Record(new Tensor(values.Storage, outShape), [c],
            dy => [ScatterAdd(Tensor.Zeros(c.Shape), d, index, Reshape(dy, keptShape))]);
        return (result, keepDim ? index : new IntTensor(indices, outShape));
    }

    static bool[] ReducedDims(int rank, int[] dims)
    {
        var reduce = new bool[rank];
        if (dims.Length == 0) { Array.Fill(reduce, true); return reduce; }
        foreach (var dim in dims) reduce[ShapeUtil.Dim(dim, rank)] = true;
        return reduce;
    }

    static int[] KeptShape(int[] shape, bool[] reduce) => shape.Select((s, d) => reduce[d] ? 1 : s).ToArray();
    static int[] DropDims(int[] shape, bool[] reduce) => shape.Where((_, d) => !reduce[d]).ToArray();

    /// <summary>
    /// Sums the reduced dims of <paramref name="a"/> into <paramref name="dst"/> (kept dims in order).
    /// Reductions over trailing dims sum contiguous rows; over leading dims they add rows together;
    /// anything else first permutes the reduced dims to the end.
    /// </summary>
    static void SumKernel(Tensor a, bool[] reduce, Span<float> dst)
    {
        int firstReduced = Array.IndexOf(reduce, true), lastKept = Array.LastIndexOf(reduce, false);
        if (firstReduced < 0) { a.Contiguous().Span.CopyTo(dst); return; }
        var c = a.Contiguous();
        if (lastKept < firstReduced)                                        // kept..., reduced...
        {
            int row = c.Numel / Math.Max(dst.Length, 1);
            var src = c.Span;
            for (int o = 0; o < dst.Length; o++) dst[o] = SumRow(src.Slice(o * row, row));
            return;
        }
        int lastReduced = Array.LastIndexOf(reduce, true), firstKept = Array.IndexOf(reduce, false);
        if (lastReduced < firstKept)                                        // reduced..., kept...
        {
            var src = c.Span;
            int rows = c.Numel / Math.Max(dst.Length, 1);
            dst.Clear();
            for (int r = 0; r < rows; r++) TensorPrimitives.Add(dst, src.Slice(r * dst.Length, dst.Length), dst);
            return;
        }
        var perm = Enumerable.Range(0, a.Rank).Where(d => !reduce[d]).Concat(Enumerable.Range(0, a.Rank).Where(d => reduce[d])).ToArray();
        Tensor permuted;
        using (Grad.Disabled()) permuted = Permute(c, perm).Contiguous();
        SumKernel(permuted, perm.Select(d => reduce[d]).ToArray(), dst);
    }

    /// <summary>Row sum accumulated in double blocks for accuracy on long rows.</summary>
    static float SumRow(ReadOnlySpan<float> row)
    {
        if (row.Length <= 4096) return TensorPrimitives.Sum(row);
        double total = 0;
        for (int i = 0; i < row.Length; i += 4096) total += TensorPrimitives.Sum(row.Slice(i, Math.Min(4096, row.Length - i)));
        return (float)total;
    }
}
