using System.Text;

namespace SelfSup.Engine;

/// <summary>
/// An n-dimensional float32 array: a shared storage array plus offset, shape and strides (in elements),
/// so reshape/permute/slice/expand are views that copy nothing. Tensors that take part in autograd
/// carry the node that produced them (<see cref="Node"/>) and, for leaves, an accumulated <see cref="Grad"/>.
/// </summary>
public sealed partial class Tensor
{
    /// <summary>The storage; shared between a tensor and its views.</summary>
    public TensorStorage Storage { get; }
    /// <summary>The storage's array (element [0, 0, ...] is at <see cref="Offset"/>).</summary>
    public float[] Data => Storage.Array;
    /// <summary>Index in <see cref="Data"/> of element [0, 0, ...].</summary>
    public int Offset { get; }
    public int[] Shape { get; }
    public int[] Strides { get; }

    /// <summary>When true, backward() computes a gradient for this tensor.</summary>
    public bool RequiresGrad { get; set; }
    /// <summary>Accumulated gradient of a leaf (same shape, contiguous), or null before any backward().</summary>
    public Tensor? Grad { get; set; }
    /// <summary>The recorded operation that produced this tensor; null for leaves and outside autograd.</summary>
    internal GradNode? Node { get; set; }

    /// <summary>A view of <paramref name="storage"/> (views of one tensor share its storage object).</summary>
    internal Tensor(TensorStorage storage, int offset, int[] shape, int[] strides)
    {
        Storage = storage; Offset = offset; Shape = shape; Strides = strides;
    }

    /// <summary>A contiguous tensor over <paramref name="storage"/>.</summary>
    internal Tensor(TensorStorage storage, int[] shape) : this(storage, 0, shape, ContiguousStrides(shape))
    {
        if (storage.Array.Length < ShapeUtil.Numel(shape))
            throw new ArgumentException($"storage of {storage.Array.Length} floats is too small for shape {ShapeUtil.Format(shape)}");
    }

    /// <summary>A contiguous tensor over an array the caller owns (never recycled).</summary>
    internal Tensor(float[] data, int[] shape) : this(new TensorStorage(data), shape) { }

    public int Rank => Shape.Length;
    public int Numel => ShapeUtil.Numel(Shape);
    /// <summary>Size of dimension <paramref name="dim"/>; negative dims count from the end.</summary>
    public int Size(int dim) => Shape[ShapeUtil.Dim(dim, Rank)];

    /// <summary>True when elements are laid out row-major without gaps, starting at <see cref="Offset"/>.</summary>
    public bool IsContiguous
    {
        get
        {
            int expected = 1;
            for (int d = Rank - 1; d >= 0; d--)
            {
                if (Shape[d] != 1 && Strides[d] != expected) return false;
                expected *= Shape[d];
            }
            return true;
        }
    }

    /// <summary>The elements as a span, for contiguous tensors only (kernels work on these).</summary>
    public Span<float> Span
    {
        get
        {
            if (!IsContiguous) throw new InvalidOperationException("Span needs a contiguous tensor; call Contiguous() first");
            return Data.AsSpan(Offset, Numel);
        }
    }

    /// <summary>The single value of a one-element tensor.</summary>
    public float Item()
    {
        if (Numel != 1) throw new InvalidOperationException($"Item() needs one element, tensor has shape {ShapeUtil.Format(Shape)}");
        return Data[Offset];
    }

    /// <summary>Element at a full index (slow; for tests and debugging).</summary>
    [System.Runtime.CompilerServices.IndexerName("Element")]
    public float this[params int[] index]
    {
        get => Data[FlatIndex(index)];
        set => Data[FlatIndex(index)] = value;
    }

    int FlatIndex(int[] index)
    {
        if (index.Length != Rank) throw new ArgumentException($"index has {index.Length} dims, tensor has {Rank}");
        int at = Offset;
        for (int d = 0; d < Rank; d++)
        {
            if ((uint)index[d] >= (uint)Shape[d]) throw new IndexOutOfRangeException($"index {index[d]} out of range for dim {d} of size {Shape[d]}");
            at += index[d] * Strides[d];
        }
        return at;
    }

    /// <summary>The elements in row-major order, as a new array.</summary>
    public float[] ToArray() => Contiguous().Span.ToArray();

    /// <summary>This tensor if contiguous, otherwise a contiguous copy (recorded for autograd).</summary>
    public Tensor Contiguous() => IsContiguous ? this : Ops.Copy(this);

    /// <summary>A tensor sharing storage but cut from the graph (like torch's detach()).</summary>
    public Tensor Detach() => new(Storage, Offset, Shape, Strides);

    /// <summary>Runs reverse-mode autograd from this scalar, accumulating into the leaves' <see cref="Grad"/>.</summary>
    public void Backward() => Graph.Backward(this);

    /// <summary><see cref="Backward()"/>, calling <paramref name="leafReady"/> with each leaf once its gradient is complete.</summary>
    public void Backward(Action<Tensor> leafReady) => Graph.Backward(this, null, leafReady);

    internal static int[] ContiguousStrides(int[] shape)
    {
        var strides = new int[shape.Length];
        int s = 1;
        for (int d = shape.Length - 1; d >= 0; d--) { strides[d] = s; s *= shape[d]; }
        return strides;
    }

    public override string ToString()
    {
        var sb = new StringBuilder($"Tensor{ShapeUtil.Format(Shape)}");
        var values = ToArray();
        sb.Append(" [");
        for (int i = 0; i < Math.Min(values.Length, 8); i++) sb.Append(i == 0 ? "" : ", ").Append(values[i].ToString("G5"));
        if (values.Length > 8) sb.Append(", ...");
        return sb.Append(']').ToString();
    }
}
