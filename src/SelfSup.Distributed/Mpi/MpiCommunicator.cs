using System.Runtime.InteropServices;

namespace SelfSup.Distributed;

/// <summary>
/// The ranks of a job started by Open MPI's <c>mpirun</c> (MPI_COMM_WORLD). MPI is initialised once per process with
/// MPI_THREAD_FUNNELED (collectives are called from the training thread only) and errors return codes, turned into
/// <see cref="MpiException"/>s naming the collective and the rank, instead of aborting the job silently.
/// Every collective is the non-blocking one completed by <see cref="CollectiveWait"/>, so a rank that hangs — before the
/// collective or in the middle of it — ends the others' wait within the timeout with an
/// <see cref="MpiTimeoutException"/> naming it, instead of a job that waits for ever (a blocking collective behind a
/// non-blocking barrier would not do: a rank stopped inside it leaves the others blocked). A rank that dies is seen by
/// mpirun, which ends the job. Disposing finalises MPI.
/// </summary>
public sealed unsafe class MpiCommunicator : ICommunicator
{
    /// <summary>How long a collective waits for every rank by default: far above the imbalance of a data-parallel step,
    /// and with the grace period and the abort within the minute a hung job may take to end.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(40);

    /// <summary>Open MPI 4.1's non-blocking all-reduce (coll/libnbc) is a binomial tree when the job has fewer than 4 ranks,
    /// the buffer is under 64 KB or the call is in place, and otherwise Rabenseifner's reduce-scatter + all-gather, which
    /// is bandwidth-optimal at log₂W latencies. Large buffers are therefore sent from a copy, not in place; and below 4
    /// ranks, where the tree moves a 45 MB gradient bucket at half the ring's speed (1.0 against 2.0 GB/s between two
    /// ranks here), the ring is chosen — unless the user chose.</summary>
    const string AllReduceAlgorithm = "OMPI_MCA_coll_libnbc_iallreduce_algorithm";
    const int InPlaceBytes = 65536;

    readonly nint world, buckets, floatType, doubleType, byteType, sum;
    readonly CollectiveWait wait;
    byte[] sendCopy = [];
    bool disposed;

    public int Rank { get; }
    public int Size { get; }

    /// <summary>Whether this process was started by Open MPI's launcher (<c>mpirun</c> sets OMPI_COMM_WORLD_SIZE).</summary>
    public static bool Launched => Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE") is { Length: > 0 };

    /// <summary>Joins the job; call once per process.</summary>
    /// <param name="timeout">How long a collective waits for the other ranks (<see cref="DefaultTimeout"/> if null).</param>
    public MpiCommunicator(TimeSpan? timeout = null)
    {
        if (timeout is { } t && t <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(timeout), "the collective timeout must be positive");
        Check(MpiNative.MPI_Initialized(out int initialised), "MPI_Initialized");
        if (initialised != 0) throw new InvalidOperationException("MPI is already initialised in this process");
        if (int.TryParse(Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE"), out int ranks) && ranks < 4)
            MpiNative.setenv(AllReduceAlgorithm, "1", overwrite: 0);                  // ring
        Check(MpiNative.MPI_Init_thread(0, 0, MpiNative.ThreadFunneled, out int provided), "MPI_Init_thread");
        if (provided < MpiNative.ThreadFunneled)
            throw new MpiException($"MPI_Init_thread: the MPI library gives thread level {provided}, below MPI_THREAD_FUNNELED");
        world = MpiNative.CommWorld; floatType = MpiNative.Float; doubleType = MpiNative.Double; byteType = MpiNative.Byte;
        sum = MpiNative.Sum;
        Check(MpiNative.MPI_Comm_set_errhandler(world, MpiNative.ErrorsReturn), "MPI_Comm_set_errhandler");
        Check(MpiNative.MPI_Comm_rank(world, out int rank), "MPI_Comm_rank");
        Check(MpiNative.MPI_Comm_size(world, out int size), "MPI_Comm_size");
        Rank = rank; Size = size;
        Check(MpiNative.MPI_Comm_dup(world, out buckets), "MPI_Comm_dup");
        Check(MpiNative.MPI_Comm_set_errhandler(buckets, MpiNative.ErrorsReturn), "MPI_Comm_set_errhandler");
        Check(MpiNative.MPI_Comm_dup(world, out nint notes), "MPI_Comm_dup");
        Check(MpiNative.MPI_Comm_set_errhandler(notes, MpiNative.ErrorsReturn), "MPI_Comm_set_errhandler");
        wait = new CollectiveWait(rank, size, notes, timeout ?? DefaultTimeout, Check);
    }

    public void AllReduceSum(Span<float> values) => AllReduce(MemoryMarshal.AsBytes(values), values.Length, floatType);

    public void AllReduceSum(Span<double> values) => AllReduce(MemoryMarshal.AsBytes(values), values.Length, doubleType);

    /// <summary>Sums <paramref name="count"/> values of <paramref name="type"/> over the ranks, in place for small buffers and
    /// from a copy for large ones (see <see cref="AllReduceAlgorithm"/>).</summary>
    void AllReduce(Span<byte> values, int count, nint type)
    {
        bool inPlace = values.Length < InPlaceBytes;
        if (!inPlace)
        {
            if (sendCopy.Length < values.Length) sendCopy = GC.AllocateUninitializedArray<byte>(values.Length, pinned: true);
            values.CopyTo(sendCopy);
        }
        fixed (byte* p = values, copy = sendCopy)
        {
            Check(MpiNative.MPI_Iallreduce(inPlace ? (void*)MpiNative.InPlace : copy, p, count, type, sum, world, out nint request), "MPI_Iallreduce");
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

    /// <summary>On a communicator of their own (a duplicate of the world), so they are ordered only among themselves.</summary>
    public IPendingCollective StartAllReduceSum(float[] send, float[] receive, int count)
    {
        if (count > send.Length || count > receive.Length) throw new ArgumentException($"all-reduce of {count} floats from arrays of {send.Length} and {receive.Length}");
        var pinned = (GCHandle.Alloc(send, GCHandleType.Pinned), GCHandle.Alloc(receive, GCHandleType.Pinned));
        Check(MpiNative.MPI_Iallreduce((void*)pinned.Item1.AddrOfPinnedObject(), (void*)pinned.Item2.AddrOfPinnedObject(), count, floatType, sum,
            buckets, out nint request), "MPI_Iallreduce");
        return new PendingAllReduce(this, request, pinned);
    }

    /// <summary>An all-reduce under way: its request and its two pinned arrays, released when it completes.</summary>
    sealed class PendingAllReduce(MpiCommunicator comm, nint request, (GCHandle Send, GCHandle Receive) pinned) : IPendingCollective
    {
        bool done;

        public bool Test()
        {
            if (done) return true;
            comm.Check(MpiNative.MPI_Test(ref request, out int flag, null), "MPI_Test");
            if (flag != 0) Release();
            return done;
        }

        public void Wait()
        {
            if (done) return;
            comm.wait.Complete(request, "gradient all-reduce");
            Release();
        }

        void Release() { done = true; pinned.Send.Free(); pinned.Receive.Free(); }
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
public sealed class MpiTimeoutException(string message) : MpiException(message);
