namespace SelfSup.Engine;

public static partial class Ops
{
    /// <summary>
    /// The k largest (or smallest) values along <paramref name="dim"/> and their indices, sorted best first; ties go
    /// to the lower index and NaN counts as larger than any number (torch). No gradient: the values are detached.
    /// A k-element heap per line, O(size·log k).
    /// </summary>
    public static (Tensor values, IntTensor indices) TopK(Tensor x, int k, int dim = -1, bool largest = true)
    {
        int d = ShapeUtil.Dim(dim, x.Rank);
        var xc = x.Contiguous();
        var (outer, size, inner) = xc.Rank == 0 ? (1, 1, 1) : Split3(xc.Shape, d);
        if (k < 0 || k > size) throw new ArgumentException($"topk: k = {k} out of range for dim {d} of size {size} (input {ShapeUtil.Format(x.Shape)})");
        var shape = (int[])xc.Shape.Clone();
        if (shape.Length > 0) shape[d] = k;
        var values = Tensor.Zeros(shape);
        var indices = new int[values.Numel];
        ForRanges(outer * inner, xc.Numel, (l0, l1) =>
        {
            var heapValues = new float[k]; var heapIndices = new int[k];
            for (int line = l0; line < l1; line++)
            {
                int o = line / inner, i = line % inner;
                int src = xc.Offset + o * size * inner + i, dst = o * k * inner + i;
                SelectTop(xc.Data, src, inner, size, k, largest, heapValues, heapIndices);
                for (int j = 0; j < k; j++) { values.Data[dst + j * inner] = heapValues[j]; indices[dst + j * inner] = heapIndices[j]; }
            }
        });
        return (values, new IntTensor(indices, shape));
    }

    /// <summary>
    /// Fills (values, indices) with the best k of data[start + j·stride], j &lt; size, best first. A heap whose root is
    /// the worst kept element; then the heap is sorted in place by repeatedly moving the root to the end.
    /// </summary>
    static void SelectTop(float[] data, int start, int stride, int size, int k, bool largest, float[] values, int[] indices)
    {
        if (k == 0) return;
        for (int j = 0; j < size; j++)
        {
            float v = data[start + j * stride];
            if (j < k)
            {
                values[j] = v; indices[j] = j;
                SiftUp(values, indices, j, largest);
            }
            else if (Better(v, j, values[0], indices[0], largest))
            {
                values[0] = v; indices[0] = j;
                SiftDown(values, indices, 0, k, largest);
            }
        }
        for (int end = k - 1; end > 0; end--)                                             // worst to the back: sorted best first
        {
            (values[0], values[end]) = (values[end], values[0]);
            (indices[0], indices[end]) = (indices[end], indices[0]);
            SiftDown(values, indices, 0, end, largest);
        }
    }

    /// <summary>True when (a, ia) ranks before (b, ib): larger (or smaller) value, NaN largest, ties by lower index.</summary>
    static bool Better(float a, int ia, float b, int ib, bool largest)
    {
        bool aNaN = float.IsNaN(a), bNaN = float.IsNaN(b);
        if (aNaN || bNaN)
        {
            if (aNaN && bNaN) return ia < ib;
            return largest ? aNaN : bNaN;
        }
        if (a != b) return largest ? a > b : a < b;
        return ia < ib;
    }

    // Min-heap on "Better": the root is the element every other kept element beats.
    static void SiftUp(float[] v, int[] ix, int at, bool largest)
    {
        while (at > 0)
        {
            int parent = (at - 1) / 2;
            if (!Better(v[parent], ix[parent], v[at], ix[at], largest)) break;
            (v[parent], v[at]) = (v[at], v[parent]); (ix[parent], ix[at]) = (ix[at], ix[parent]);
            at = parent;
        }
    }

    static void SiftDown(float[] v, int[] ix, int at, int count, bool largest)
    {
        while (true)
        {
            int left = 2 * at + 1, right = left + 1, worst = at;
            if (left < count && Better(v[worst], ix[worst], v[left], ix[left], largest)) worst = left;
            if (right < count && Better(v[worst], ix[worst], v[right], ix[right], largest)) worst = right;
            if (worst == at) return;
            (v[worst], v[at]) = (v[at], v[worst]); (ix[worst], ix[at]) = (ix[at], ix[worst]);
            at = worst;
        }
    }
}
