using System.Runtime.InteropServices;

namespace SelfSup.Distributed;

/// <summary>
/// The slice of Open MPI's C API (libmpi.so.40, Debian's <c>libopenmpi-dev</c>; MPI 3.1) that data-parallel training
/// needs. In Open MPI the handles are pointers and the predefined ones are the addresses of exported objects
/// (<c>MPI_COMM_WORLD</c> is <c>&amp;ompi_mpi_comm_world</c>, <c>MPI_FLOAT</c> <c>&amp;ompi_mpi_float</c>, …), read with
/// <see cref="NativeLibrary.GetExport"/>; <c>MPI_IN_PLACE</c> is <c>(void*)1</c>, <c>MPI_STATUS_IGNORE</c> null.
/// </summary>
internal static unsafe partial class MpiNative
{
    const string Library = "libmpi.so.40";

    public const int ThreadFunneled = 1, Success = 0, MaxErrorString = 256;
    public static readonly nint InPlace = 1;

    [LibraryImport(Library)] public static partial int MPI_Initialized(out int flag);
    [LibraryImport(Library)] public static partial int MPI_Finalized(out int flag);
    [LibraryImport(Library)] public static partial int MPI_Init_thread(nint argc, nint argv, int required, out int provided);
    [LibraryImport(Library)] public static partial int MPI_Finalize();
    [LibraryImport(Library)] public static partial int MPI_Abort(nint comm, int errorCode);
    [LibraryImport(Library)] public static partial int MPI_Comm_rank(nint comm, out int rank);
    [LibraryImport(Library)] public static partial int MPI_Comm_size(nint comm, out int size);
    [LibraryImport(Library)] public static partial int MPI_Comm_set_errhandler(nint comm, nint handler);
    [LibraryImport(Library)] public static partial int MPI_Error_string(int code, byte* text, out int length);
    [LibraryImport(Library)] public static partial int MPI_Comm_dup(nint comm, out nint copy);

    // Non-blocking collectives (MPI 3.0), completed by polling MPI_Test, so a wait can have a deadline.
    [LibraryImport(Library)] public static partial int MPI_Ibarrier(nint comm, out nint request);
    [LibraryImport(Library)] public static partial int MPI_Ibcast(void* buffer, int count, nint type, int root, nint comm, out nint request);
    [LibraryImport(Library)] public static partial int MPI_Iallreduce(void* send, void* receive, int count, nint type, nint op, nint comm, out nint request);
    [LibraryImport(Library)] public static partial int MPI_Iallgather(void* send, int sendCount, nint sendType,
        void* receive, int receiveCount, nint receiveType, nint comm, out nint request);
    [LibraryImport(Library)] public static partial int MPI_Test(ref nint request, out int done, Status* status);

    // Point-to-point on a duplicate of the world: the "still waiting" notes ranks exchange when a collective times out.
    [LibraryImport(Library)] public static partial int MPI_Isend(void* buffer, int count, nint type, int destination, int tag, nint comm, out nint request);
    [LibraryImport(Library)] public static partial int MPI_Iprobe(int source, int tag, nint comm, out int flag, Status* status);
    [LibraryImport(Library)] public static partial int MPI_Recv(void* buffer, int count, nint type, int source, int tag, nint comm, Status* status);

    public const int AnySource = -1;

    /// <summary>libc's setenv: Open MPI reads its MCA parameters from the process environment in MPI_Init, which .NET's
    /// Environment.SetEnvironmentVariable does not change on Linux.</summary>
    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int setenv(string name, string value, int overwrite);

    /// <summary>Open MPI's MPI_Status (mpi.h): the public fields, then the private count and cancelled flag.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Status
    {
        public int Source, Tag, Error, Cancelled;
        public nuint Count;
    }

    static readonly Lazy<nint> handle = new(() =>
    {
        try { return NativeLibrary.Load(Library); }
        catch (DllNotFoundException e)
        {
            throw new DllNotFoundException($"Open MPI is not installed ({Library}: apt-get install openmpi-bin libopenmpi-dev)", e);
        }
    });

    static nint Export(string name) => NativeLibrary.GetExport(handle.Value, name);

    public static nint CommWorld => Export("ompi_mpi_comm_world");
    public static nint Float => Export("ompi_mpi_float");
    public static nint Double => Export("ompi_mpi_double");
    public static nint Long => Export("ompi_mpi_long");
    public static nint Byte => Export("ompi_mpi_byte");
    public static nint Sum => Export("ompi_mpi_op_sum");
    public static nint ErrorsReturn => Export("ompi_mpi_errors_return");

    /// <summary>The text of MPI error <paramref name="code"/>.</summary>
    public static string ErrorText(int code)
    {
        byte* text = stackalloc byte[MaxErrorString + 1];
        return MPI_Error_string(code, text, out int length) == Success
            ? System.Text.Encoding.ASCII.GetString(text, length) : $"MPI error {code}";
    }
}
