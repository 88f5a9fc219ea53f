using SelfSup.Distributed;
using SelfSup.Methods;

namespace SelfSup.Training;

/// <summary>Where the ranks of a data-parallel job meet in the step loop.</summary>
public interface IStepHooks
{
    /// <summary>The step's loss over the whole global batch: the mean of every rank's (each the mean over its own equal
    /// shard), so every rank takes the same decision on a non-finite loss and logs the same figure.</summary>
    float LossOverRanks(float local);

    /// <summary>Backward from this rank's loss (data parallelism starts exchanging gradients while it runs).</summary>
    void Backward(Engine.Tensor loss);

    /// <summary>After backward (or none, for a non-finite loss), before the non-finite check and the optimiser step: this
    /// rank's gradients are ready and become their mean over the ranks.</summary>
    void GradientsReady(SslMethod method);

    /// <summary>After the optimiser step and the method's own update (momentum, queue, bank) of global step
    /// <paramref name="step"/>.</summary>
    void StepTaken(SslMethod method, int step);

    /// <summary>Whether this rank logs progress and writes metrics, reports and checkpoints (rank 0 only).</summary>
    bool Writes { get; }
}

/// <summary>
/// Data-parallel training (Li et al. 2020, "PyTorch Distributed"): every rank holds the whole model, takes its shard of
/// each global batch, and averages gradients before the step (<see cref="GradientAverager"/>), so all ranks take the step
/// one process would take on the global batch and stay identical. With one rank every hook is the identity.
/// </summary>
/// <param name="checkReplicas">After every step, compare every rank's state with rank 0's (<c>--check-replicas</c>).</param>
/// <param name="buffersAgree">Whether batch-norm buffers are the same on every rank too (synchronised or averaged BN).</param>
public sealed class DataParallel(ICommunicator comm, SslMethod method, bool checkReplicas = false, bool buffersAgree = false) : IStepHooks
{
    readonly GradientAverager averager = new(comm, method.OptimizerParameters().Select(p => p.Param));

    public float LossOverRanks(float local)
    {
        if (comm.Size == 1) return local;
        Span<float> value = [local];
        comm.AllReduceSum(value);
        return value[0] / comm.Size;
    }

    public void Backward(Engine.Tensor loss) => averager.Backward(loss);

    public void GradientsReady(SslMethod method) => averager.Average();

    public void StepTaken(SslMethod method, int step)
    {
        if (!checkReplicas || comm.Size == 1) return;
        var hash = BitConverter.GetBytes(ReplicaHash.Of(method, buffersAgree));
        var root = (byte[])hash.Clone();
        comm.Broadcast(root);
        Span<double> differing = [hash.AsSpan().SequenceEqual(root) ? 0 : 1];
        var mine = differing[0];
        comm.AllReduceSum(differing);
        if (differing[0] > 0)
            throw new InvalidOperationException(
                $"after step {step + 1}, {differing[0]} rank(s) hold other weights or state than rank 0{(mine > 0 ? $" (rank {comm.Rank} among them)" : "")} (--check-replicas)");
    }

    public bool Writes => comm.Rank == 0;
}

/// <summary>A 64-bit FNV-1a hash of a method's training state — parameters, extra state (queue, bank, generators) and,
/// where they agree across ranks, buffers — the same in every process for the same bits (unlike string.GetHashCode).</summary>
public static class ReplicaHash
{
    public static ulong Of(SslMethod method, bool withBuffers)
    {
        ulong hash = 14695981039346656037;
        void Add(ReadOnlySpan<byte> bytes) { foreach (var b in bytes) hash = (hash ^ b) * 1099511628211; }
        foreach (var (_, p) in method.NamedParameters()) Add(System.Runtime.InteropServices.MemoryMarshal.AsBytes(p.Contiguous().Span));
        var state = method.ExtraState();
        var entries = state.Select(e => e.Value);
        if (withBuffers) entries = entries.Concat(method.NamedBuffers().Select(b => b.Value));
        foreach (var entry in entries)
        {
            if (entry.Float is { } f) Add(System.Runtime.InteropServices.MemoryMarshal.AsBytes(f.Contiguous().Span));
            else if (entry.Int is { } i) Add(System.Runtime.InteropServices.MemoryMarshal.AsBytes(i.Data.AsSpan()));
        }
        return hash;
    }
}
