namespace SelfSup.Methods.Components;

/// <summary>
/// MoCo's dictionary as a queue (He et al. 2020, §3.2: "the current mini-batch is enqueued to the dictionary, and the
/// oldest mini-batch in the queue is removed"): a ring buffer of K keys with a pointer that advances by the batch size.
/// Rows are stored (K, D) — the transpose of the official code's (dim, K) buffer — and start as random unit vectors.
/// </summary>
public sealed class FeatureQueue
{
    /// <summary>(K, D) keys, L2-normalised rows; a plain tensor outside autograd.</summary>
    public Tensor Keys { get; }
    /// <summary>Row where the next batch is written (the official code's queue_ptr).</summary>
    public int Pointer { get; private set; }
    public int Size => Keys.Shape[0];
    public int Dim => Keys.Shape[1];

    public FeatureQueue(int size, int dim, Generator rng)
    {
        if (size <= 0 || dim <= 0) throw new ArgumentException($"feature queue needs a positive size and dim, got {size}×{dim}");
        using var _ = Grad.Disabled();
        Keys = Ops.Normalize(Tensor.Randn(rng, size, dim), 1);                  // (K, D)
    }

    /// <summary>Throws unless batches of <paramref name="batchSize"/> tile the queue (the official assert K % N == 0).</summary>
    public void CheckBatchSize(int batchSize)
    {
        if (batchSize <= 0 || Size % batchSize != 0)
            throw new ArgumentException($"the queue size {Size} must be divisible by the batch size {batchSize}");
    }

    /// <summary>Writes <paramref name="keys"/> (N, D) over the oldest N rows and advances the pointer by N (mod K).</summary>
    public void Enqueue(Tensor keys)
    {
        int n = keys.Shape[0];
        CheckBatchSize(n);
        if (keys.Rank != 2 || keys.Shape[1] != Dim) throw new ArgumentException($"enqueue of {ShapeUtil.Format(keys.Shape)} into a queue of dim {Dim}");
        keys.Contiguous().Span.CopyTo(Keys.Span.Slice(Pointer * Dim, n * Dim));
        Pointer = (Pointer + n) % Size;
    }

    /// <summary>Queue and pointer for checkpoints, as <c>{prefix}queue</c> and <c>{prefix}queue_ptr</c>.</summary>
    public void SaveTo(StateDict state, string prefix = "")
    {
        state.Add(prefix + "queue", Keys);
        state.Add(prefix + "queue_ptr", IntTensor.From(Pointer));
    }

    public void LoadFrom(StateDict state, string prefix = "")
    {
        var keys = state.Float(prefix + "queue");
        int ptr = state.Int(prefix + "queue_ptr").Data[0];
        if (!ShapeUtil.Equal(keys.Shape, Keys.Shape)) throw new InvalidDataException($"queue {ShapeUtil.Format(keys.Shape)} in the checkpoint, {ShapeUtil.Format(Keys.Shape)} expected");
        if ((uint)ptr >= (uint)Size) throw new InvalidDataException($"queue pointer {ptr} out of range for a queue of {Size}");
        Keys.CopyFrom(keys);
        Pointer = ptr;
    }
}
