using SelfSup.Engine;

namespace SelfSup.Distributed;

/// <summary>
/// Data parallelism's one exchange per step (Li et al. 2020, "PyTorch Distributed", §3.2): after backward, every
/// parameter's gradient becomes its mean over the ranks, so each rank's optimiser takes the step one process would take
/// on the whole global batch (each rank's loss being the mean over its own, equal-sized shard). Gradients are copied
/// into flat buckets of about <see cref="BucketFloats"/> floats (a tensor larger than that is a bucket of its own) and each
/// bucket is one all-reduce, instead of a call per tensor; the buckets follow the parameters' order, the same on every
/// rank. A parameter that got no gradient on this rank contributes zeros.
/// </summary>
public sealed class GradientAverager
{
    /// <summary>Floats per bucket by default: 25 MB, torch DDP's bucket_cap_mb.</summary>
    public const int DefaultBucketFloats = 25 << 18;

    readonly ICommunicator comm;
    readonly Tensor[] parameters;
    readonly (int First, int Count, int Floats)[] buckets;
    readonly float[] flat;

    public int BucketFloats { get; }
    /// <summary>All-reduce calls per step.</summary>
    public int BucketCount => buckets.Length;

    public GradientAverager(ICommunicator comm, IEnumerable<Tensor> parameters, int bucketFloats = DefaultBucketFloats)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bucketFloats, 1);
        this.comm = comm; this.parameters = [.. parameters]; BucketFloats = bucketFloats;
        var list = new List<(int, int, int)>();
        int first = 0, floats = 0, largest = 0;
        for (int i = 0; i < this.parameters.Length; i++)
        {
            int n = this.parameters[i].Numel;
            if (floats > 0 && floats + n > bucketFloats) { list.Add((first, i - first, floats)); largest = Math.Max(largest, floats); first = i; floats = 0; }
            floats += n;
        }
        if (floats > 0) { list.Add((first, this.parameters.Length - first, floats)); largest = Math.Max(largest, floats); }
        buckets = [.. list];
        flat = new float[largest];
    }

    /// <summary>Replaces every parameter's gradient by its mean over the ranks (nothing to do for one rank).</summary>
    public void Average()
    {
        if (comm.Size == 1) return;
        float scale = 1f / comm.Size;
        foreach (var (first, count, floats) in buckets)
        {
            var bucket = flat.AsSpan(0, floats);
            int at = 0;
            for (int i = first; i < first + count; i++)                       // gradients → bucket
            {
                var p = parameters[i];
                if (p.Grad is { } g) g.Contiguous().Span.CopyTo(bucket.Slice(at, p.Numel));
                else bucket.Slice(at, p.Numel).Clear();
                at += p.Numel;
            }
            comm.AllReduceSum(bucket);
            System.Numerics.Tensors.TensorPrimitives.Multiply(bucket, scale, bucket);
            at = 0;
            for (int i = first; i < first + count; i++)                       // bucket → gradients
            {
                var p = parameters[i];
                if (p.Grad is null || !p.Grad.IsContiguous) p.Grad = Tensor.Zeros(p.Shape);
                bucket.Slice(at, p.Numel).CopyTo(p.Grad.Span);
                at += p.Numel;
            }
        }
    }
}
