using SelfSup.Engine;

namespace SelfSup.Distributed;

/// <summary>
/// Data parallelism's one exchange per step (Li et al. 2020, "PyTorch Distributed", §3.2): after backward, every
/// parameter's gradient becomes its mean over the ranks, so each rank's optimiser takes the step one process would take
/// on the whole global batch (each rank's loss being the mean over its own, equal-sized shard). Gradients are copied
/// into flat buckets of about <see cref="BucketFloats"/> floats (a tensor larger than that is a bucket of its own) and each
/// bucket is one all-reduce, instead of a call per tensor. The buckets take the parameters in reverse order, the order
/// backward finishes them, so that under <see cref="Backward"/> a bucket goes out as soon as its last gradient is
/// complete and travels while backward computes the earlier layers' (§3.2.3, overlap); buckets start in their own order
/// on every rank whatever the timing. A parameter that got no gradient on this rank contributes zeros.
/// </summary>
public sealed class GradientAverager
{
    /// <summary>Floats per bucket by default: 25 MB, torch DDP's bucket_cap_mb.</summary>
    public const int DefaultBucketFloats = 25 << 18;

    readonly ICommunicator comm;
    readonly Tensor[] parameters;
    readonly (int[] Members, float[] Send, float[] Receive)[] buckets;
    readonly Dictionary<Tensor, int> bucketOf = new(ReferenceEqualityComparer.Instance);
    readonly int[] missing;                                                     // per bucket: gradients not complete yet
    readonly IPendingCollective?[] pending;
    int started;                                                                // buckets 0 … started − 1 are under way

    public int BucketFloats { get; }
    /// <summary>All-reduce calls per step.</summary>
    public int BucketCount => buckets.Length;
    /// <summary>Buckets of the last step that went out during backward rather than after it.</summary>
    public int StartedDuringBackward { get; private set; }

    public GradientAverager(ICommunicator comm, IEnumerable<Tensor> parameters, int bucketFloats = DefaultBucketFloats)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bucketFloats, 1);
        this.comm = comm; this.parameters = [.. parameters]; BucketFloats = bucketFloats;
        var list = new List<List<int>>();
        int floats = 0;
        for (int i = this.parameters.Length - 1; i >= 0; i--)                 // backward's order: the last layers first
        {
            int n = this.parameters[i].Numel;
            if (list.Count == 0 || (floats > 0 && floats + n > bucketFloats)) { list.Add([]); floats = 0; }
            list[^1].Add(i);
            floats += n;
        }
        bool exchanges = comm.Size > 1;                                         // one rank needs no buffers
        buckets = [.. list.Select(members =>
        {
            int size = exchanges ? members.Sum(i => this.parameters[i].Numel) : 0;
            return (members.ToArray(), new float[size], new float[size]);
        })];
        for (int b = 0; b < buckets.Length; b++)
            foreach (int i in buckets[b].Members)
                if (!bucketOf.TryAdd(this.parameters[i], b)) throw new ArgumentException($"parameter {i} is listed twice");
        missing = new int[buckets.Length];
        pending = new IPendingCollective?[buckets.Length];
        Reset();
    }

    /// <summary>Runs backward from <paramref name="loss"/>, starting each bucket's all-reduce as soon as its gradients are
    /// complete; <see cref="Average"/> then waits for them. One rank: plain backward.</summary>
    public void Backward(Tensor loss)
    {
        if (comm.Size == 1) { loss.Backward(); return; }
        loss.Backward(GradientComplete);
    }

    void GradientComplete(Tensor leaf)
    {
        if (!bucketOf.TryGetValue(leaf, out int b)) return;                    // not a parameter this averages
        missing[b]--;
        while (started < buckets.Length && missing[started] == 0) Start(started++);
        for (int k = 0; k < started; k++) if (pending[k] is { } p && !p.Test()) break;   // moves the oldest along
    }

    /// <summary>Replaces every parameter's gradient by its mean over the ranks (nothing to do for one rank): starts the
    /// buckets not started yet, waits for all, and writes the means back.</summary>
    public void Average()
    {
        if (comm.Size == 1) return;
        StartedDuringBackward = started;
        while (started < buckets.Length) Start(started++);
        float scale = 1f / comm.Size;
        for (int b = 0; b < buckets.Length; b++)
        {
            pending[b]!.Wait();
            var (members, _, receive) = buckets[b];
            System.Numerics.Tensors.TensorPrimitives.Multiply(receive, scale, receive);
            int at = 0;
            foreach (int i in members)                                          // bucket → gradients
            {
                var p = parameters[i];
                if (p.Grad is null || !p.Grad.IsContiguous) p.Grad = Tensor.Zeros(p.Shape);
                receive.AsSpan(at, p.Numel).CopyTo(p.Grad.Span);
                at += p.Numel;
            }
        }
        Reset();
    }

    /// <summary>Copies bucket <paramref name="b"/>'s gradients into its send buffer and starts its all-reduce.</summary>
    void Start(int b)
    {
        var (members, send, receive) = buckets[b];
        int at = 0;
        foreach (int i in members)                                              // gradients → bucket
        {
            var p = parameters[i];
            if (p.Grad is { } g) g.Contiguous().Span.CopyTo(send.AsSpan(at, p.Numel));
            else send.AsSpan(at, p.Numel).Clear();
            at += p.Numel;
        }
        pending[b] = comm.StartAllReduceSum(send, receive, send.Length);
    }

    void Reset()
    {
        started = 0;
        for (int b = 0; b < buckets.Length; b++) { missing[b] = buckets[b].Members.Length; pending[b] = null; }
    }
}
