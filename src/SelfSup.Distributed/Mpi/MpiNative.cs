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
    [LibraryImport(Library)] public static partial int MPI_Barrier(nint comm);
    [LibraryImport(Library)] public static partial int MPI_Bcast(void* buffer, int count, nint type, int root, nint comm);
    [LibraryImport(Library)] public static partial int MPI_Allreduce(void* send, void* receive, int count, nint type, nint op, nint comm);
    [LibraryImport(Library)] public static partial int MPI_Allgather(void* send, int sendCount, nint sendType,
        void* receive, int receiveCount, nint receiveType, nint comm);

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
