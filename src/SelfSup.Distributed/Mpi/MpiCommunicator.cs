namespace SelfSup.Distributed;

/// <summary>
/// The ranks of a job started by Open MPI's <c>mpirun</c> (MPI_COMM_WORLD). MPI is initialised once per process with
/// MPI_THREAD_FUNNELED (collectives are called from the training thread only) and errors return codes, turned into
/// <see cref="MpiException"/>s naming the collective and the rank, instead of aborting the job silently.
/// Disposing finalises MPI.
/// </summary>
public sealed unsafe class MpiCommunicator : ICommunicator
{
    readonly nint world, floatType, doubleType, byteType, sum;
    bool disposed;

    public int Rank { get; }
    public int Size { get; }

    /// <summary>Whether this process was started by Open MPI's launcher (<c>mpirun</c> sets OMPI_COMM_WORLD_SIZE).</summary>
    public static bool Launched => Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE") is { Length: > 0 };

    /// <summary>Joins the job; call once per process.</summary>
    public MpiCommunicator()
    {
        Check(MpiNative.MPI_Initialized(out int initialised), "MPI_Initialized");
        if (initialised != 0) throw new InvalidOperationException("MPI is already initialised in this process");
        Check(MpiNative.MPI_Init_thread(0, 0, MpiNative.ThreadFunneled, out int provided), "MPI_Init_thread");
        if (provided < MpiNative.ThreadFunneled)
            throw new MpiException($"MPI_Init_thread: the MPI library gives thread level {provided}, below MPI_THREAD_FUNNELED");
        world = MpiNative.CommWorld; floatType = MpiNative.Float; doubleType = MpiNative.Double; byteType = MpiNative.Byte;
        sum = MpiNative.Sum;
        Check(MpiNative.MPI_Comm_set_errhandler(world, MpiNative.ErrorsReturn), "MPI_Comm_set_errhandler");
        Check(MpiNative.MPI_Comm_rank(world, out int rank), "MPI_Comm_rank");
        Check(MpiNative.MPI_Comm_size(world, out int size), "MPI_Comm_size");
        Rank = rank; Size = size;
    }

    public void AllReduceSum(Span<float> values)
    {
        fixed (float* p = values)
            Check(MpiNative.MPI_Allreduce((void*)MpiNative.InPlace, p, values.Length, floatType, sum, world), "MPI_Allreduce");
    }

    public void AllReduceSum(Span<double> values)
    {
        fixed (double* p = values)
            Check(MpiNative.MPI_Allreduce((void*)MpiNative.InPlace, p, values.Length, doubleType, sum, world), "MPI_Allreduce");
    }

    public void AllGather(ReadOnlySpan<float> mine, Span<float> all)
    {
        if (all.Length != mine.Length * Size)
            throw new ArgumentException($"all-gather of {mine.Length} floats from {Size} ranks needs {mine.Length * Size}, not {all.Length}");
        fixed (float* send = mine, receive = all)
            Check(MpiNative.MPI_Allgather(send, mine.Length, floatType, receive, mine.Length, floatType, world), "MPI_Allgather");
    }

    public void Broadcast(Span<float> values, int root = 0)
    {
        fixed (float* p = values) Check(MpiNative.MPI_Bcast(p, values.Length, floatType, root, world), "MPI_Bcast");
    }

    public void Broadcast(Span<byte> bytes, int root = 0)
    {
        fixed (byte* p = bytes) Check(MpiNative.MPI_Bcast(p, bytes.Length, byteType, root, world), "MPI_Bcast");
    }

    public void Barrier() => Check(MpiNative.MPI_Barrier(world), "MPI_Barrier");

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
public sealed class MpiException(string message) : Exception(message);
