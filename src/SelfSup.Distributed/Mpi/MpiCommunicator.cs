namespace SelfSup.Distributed;

/// <summary>
/// The ranks of a job started by Open MPI's <c>mpirun</c> (MPI_COMM_WORLD). MPI is initialised once per process with
/// MPI_THREAD_FUNNELED (collectives are called from the training thread only) and errors return codes, turned into
/// <see cref="MpiException"/>s naming the collective and the rank, instead of aborting the job silently.
/// Every collective is the non-blocking one completed by <see cref="CollectiveWait"/>, so a rank that hangs — before the
/// collective or in the middle of it — ends the others' wait within <see cref="Timeout"/> with an
/// <see cref="MpiTimeoutException"/> naming it, instead of a job that waits for ever (a blocking collective behind a
/// non-blocking barrier would not do: a rank stopped inside it leaves the others blocked). A rank that dies is seen by
/// mpirun, which ends the job. Disposing finalises MPI.
/// </summary>
public sealed unsafe class MpiCommunicator : ICommunicator
{
    /// <summary>How long a collective waits for every rank by default: far above the imbalance of a data-parallel step,
    /// and with the grace period and the abort within the minute a hung job may take to end.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(40);

    /// <summary>Open MPI's choice of non-blocking all-reduce. Its default for an in-place all-reduce is a binomial tree,
    /// which moves a 45 MB gradient bucket at half the speed of the ring (1.0 against 2.0 GB/s between two ranks here);
    /// the ring is bandwidth-optimal, at 2(W − 1) message latencies per call. Set unless the user set it.</summary>
    const string RingAllReduce = "OMPI_MCA_coll_libnbc_iallreduce_algorithm";

    readonly nint world, floatType, doubleType, byteType, sum;
    readonly CollectiveWait wait;
    bool disposed;

    public int Rank { get; }
    public int Size { get; }
    public TimeSpan Timeout => wait.Timeout;

    /// <summary>Whether this process was started by Open MPI's launcher (<c>mpirun</c> sets OMPI_COMM_WORLD_SIZE).</summary>
    public static bool Launched => Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE") is { Length: > 0 };

    /// <summary>Joins the job; call once per process.</summary>
    /// <param name="timeout">How long a collective waits for the other ranks (<see cref="DefaultTimeout"/> if null).</param>
    public MpiCommunicator(TimeSpan? timeout = null)
    {
        if (timeout is { } t && t <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(timeout), "the collective timeout must be positive");
        Check(MpiNative.MPI_Initialized(out int initialised), "MPI_Initialized");
        if (initialised != 0) throw new InvalidOperationException("MPI is already initialised in this process");
        MpiNative.setenv(RingAllReduce, "1", overwrite: 0);
        Check(MpiNative.MPI_Init_thread(0, 0, MpiNative.ThreadFunneled, out int provided), "MPI_Init_thread");
        if (provided < MpiNative.ThreadFunneled)
            throw new MpiException($"MPI_Init_thread: the MPI library gives thread level {provided}, below MPI_THREAD_FUNNELED");
        world = MpiNative.CommWorld; floatType = MpiNative.Float; doubleType = MpiNative.Double; byteType = MpiNative.Byte;
        sum = MpiNative.Sum;
        Check(MpiNative.MPI_Comm_set_errhandler(world, MpiNative.ErrorsReturn), "MPI_Comm_set_errhandler");
        Check(MpiNative.MPI_Comm_rank(world, out int rank), "MPI_Comm_rank");
        Check(MpiNative.MPI_Comm_size(world, out int size), "MPI_Comm_size");
        Rank = rank; Size = size;
        Check(MpiNative.MPI_Comm_dup(world, out nint notes), "MPI_Comm_dup");
        Check(MpiNative.MPI_Comm_set_errhandler(notes, MpiNative.ErrorsReturn), "MPI_Comm_set_errhandler");
        wait = new CollectiveWait(rank, size, notes, timeout ?? DefaultTimeout, Check);
    }

    public void AllReduceSum(Span<float> values)
    {
        fixed (float* p = values)
        {
            Check(MpiNative.MPI_Iallreduce((void*)MpiNative.InPlace, p, values.Length, floatType, sum, world, out nint request), "MPI_Iallreduce");
            wait.Complete(request, "all-reduce");
        }
    }

    public void AllReduceSum(Span<double> values)
    {
        fixed (double* p = values)
        {
            Check(MpiNative.MPI_Iallreduce((void*)MpiNative.InPlace, p, values.Length, doubleType, sum, world, out nint request), "MPI_Iallreduce");
            wait.Complete(request, "all-reduce");
        }
    }

    public void AllGather(ReadOnlySpan<float> mine, Span<float> all)
    {
        if (all.Length != mine.Length * Size)
            throw new ArgumentException($"all-gather of {mine.Length} floats from {Size} ranks needs {mine.Length * Size}, not {all.Length}");
        fixed (float* send = mine, receive = all)
        {
            Check(MpiNative.MPI_Iallgather(send, mine.Length, floatType, receive, mine.Length, floatType, world, out nint request), "MPI_Iallgather");
            wait.Complete(request, "all-gather");
        }
    }

    public void Broadcast(Span<float> values, int root = 0)
    {
        fixed (float* p = values)
        {
            Check(MpiNative.MPI_Ibcast(p, values.Length, floatType, root, world, out nint request), "MPI_Ibcast");
            wait.Complete(request, "broadcast");
        }
    }

    public void Broadcast(Span<byte> bytes, int root = 0)
    {
        fixed (byte* p = bytes)
        {
            Check(MpiNative.MPI_Ibcast(p, bytes.Length, byteType, root, world, out nint request), "MPI_Ibcast");
            wait.Complete(request, "broadcast");
        }
    }

    public void Barrier()
    {
        Check(MpiNative.MPI_Ibarrier(world, out nint request), "MPI_Ibarrier");
        wait.Complete(request, "barrier");
    }

    /// <summary>Ends the whole job (every rank) with <paramref name="code"/>: what a rank does when it cannot go on, so the
    /// others are not left waiting in a collective.</summary>
    public void Abort(int code) => MpiNative.MPI_Abort(world, code);

    void Check(int code, string call)
    {
        if (code != MpiNative.Success) throw new MpiException($"{call} failed on rank {Rank}: {MpiNative.ErrorText(code)}");
    }

    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        if (MpiNative.MPI_Finalized(out int finalised) == MpiNative.Success && finalised == 0) MpiNative.MPI_Finalize();
    }
}

/// <summary>An MPI call that failed, naming the call and the rank.</summary>
public class MpiException(string message) : Exception(message);

/// <summary>A collective that some ranks did not reach within the timeout; the message names them.</summary>
public sealed class MpiTimeoutException(string message, int[] missing) : MpiException(message)
{
    /// <summary>The ranks that never said they were waiting too (hung, dead, or far behind).</summary>
    public int[] Missing { get; } = missing;
}
