namespace SelfSup.Distributed;

/// <summary>
/// The processes (ranks) of one training job and the collectives data-parallel training uses, with the semantics of
/// torch.distributed's: every rank calls each collective in the same order with buffers of the same length. A job of
/// one process (<see cref="SingleProcess"/>) makes every collective the identity.
/// </summary>
public interface ICommunicator : Engine.IProcessGroup, IDisposable
{
    // Size (processes in the job, the world size), Rank (rank 0 writes the run folder), the sums and the gather come
    // from Engine.IProcessGroup.

    /// <summary><paramref name="values"/> on every rank set to rank <paramref name="root"/>'s.</summary>
    void Broadcast(Span<float> values, int root = 0);

    /// <summary>Bytes: <paramref name="bytes"/> on every rank set to rank <paramref name="root"/>'s.</summary>
    void Broadcast(Span<byte> bytes, int root = 0);

    /// <summary>Returns once every rank has called it.</summary>
    void Barrier();
}

/// <summary>A job of one process: every collective leaves its buffers as they are (gather copies).</summary>
public sealed class SingleProcess : ICommunicator
{
    public static SingleProcess Instance { get; } = new();
    public int Rank => 0;
    public int Size => 1;
    public void AllReduceSum(Span<float> values) { }
    public void AllReduceSum(Span<double> values) { }
    public void AllGather(ReadOnlySpan<float> mine, Span<float> all) => mine.CopyTo(all);
    public void Broadcast(Span<float> values, int root = 0) { }
    public void Broadcast(Span<byte> bytes, int root = 0) { }
    public void Barrier() { }
    public void Dispose() { }
}
