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

    /// <summary>Starts summing the first <paramref name="count"/> floats of <paramref name="send"/> over the ranks into
    /// <paramref name="receive"/>, returning at once; neither array may be touched until the result completes. These run
    /// apart from the other collectives (their order among themselves must be the same on every rank, but not their
    /// order relative to the rest), so gradient buckets can go out during backward while SyncBN exchanges its own.</summary>
    IPendingCollective StartAllReduceSum(float[] send, float[] receive, int count);
}

/// <summary>A collective under way.</summary>
public interface IPendingCollective
{
    /// <summary>Whether it has completed; each call also moves it along.</summary>
    bool Test();

    /// <summary>Returns once it has completed (or throws, as the blocking collectives do, when a rank never came).</summary>
    void Wait();
}

/// <summary>A collective that completed when it started.</summary>
public sealed class CompletedCollective : IPendingCollective
{
    public static CompletedCollective Instance { get; } = new();
    public bool Test() => true;
    public void Wait() { }
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
    public IPendingCollective StartAllReduceSum(float[] send, float[] receive, int count)
    {
        send.AsSpan(0, count).CopyTo(receive);
        return CompletedCollective.Instance;
    }
    public void Dispose() { }
}
