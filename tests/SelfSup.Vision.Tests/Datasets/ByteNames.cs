using System.Runtime.InteropServices;
using System.Text;

namespace SelfSup.Vision.Tests.Datasets;

/// <summary>Makes files, folders, links and FIFOs whose names are bytes that need not be UTF-8 (which .NET's own calls
/// cannot write): files are written under an ASCII name, then <c>rename(2)</c>d to the bytes wanted.</summary>
static unsafe partial class ByteNames
{
    [LibraryImport("libc", SetLastError = true)] private static partial int rename(byte* from, byte* to);
    [LibraryImport("libc", SetLastError = true)] private static partial int mkdir(byte* path, uint mode);
    [LibraryImport("libc", SetLastError = true)] private static partial int mkfifo(byte* path, uint mode);
    [LibraryImport("libc", SetLastError = true)] private static partial int symlink(byte* target, byte* path);
    [LibraryImport("libc", SetLastError = true)] private static partial int chmod(byte* path, uint mode);

    /// <summary>Renames <paramref name="path"/> to the same folder's entry <paramref name="name"/> (raw bytes); returns the new
    /// path's bytes.</summary>
    public static byte[] Rename(string path, byte[] name)
    {
        byte[] to = [.. Encoding.UTF8.GetBytes(Path.GetDirectoryName(path)! + "/"), .. name];
        Rename(Encoding.UTF8.GetBytes(path), to);
        return to;
    }

    static void Rename(byte[] from, byte[] to)
    {
        fixed (byte* f = CString(from)) fixed (byte* t = CString(to)) Check(rename(f, t), to);
    }

    public static void Folder(byte[] path) { fixed (byte* p = CString(path)) Check(mkdir(p, 0b111_101_101), path); }
    public static void Fifo(byte[] path) { fixed (byte* p = CString(path)) Check(mkfifo(p, 0b110_100_100), path); }
    public static void Chmod(byte[] path, uint mode) { fixed (byte* p = CString(path)) Check(chmod(p, mode), path); }
    public static void Link(byte[] target, byte[] path) { fixed (byte* t = CString(target)) fixed (byte* p = CString(path)) Check(symlink(t, p), path); }

    /// <summary>Writes <paramref name="bytes"/> to the file at <paramref name="path"/> (raw bytes; same file system as /tmp).</summary>
    public static void File(byte[] path, byte[] bytes)
    {
        var staging = Path.Combine(Path.GetTempPath(), $"selfsup-bytename-{Guid.NewGuid():N}");
        System.IO.File.WriteAllBytes(staging, bytes);
        Rename(Encoding.UTF8.GetBytes(staging), path);
    }

    static byte[] CString(byte[] bytes) => [.. bytes, 0];

    static void Check(int result, byte[] path)
    {
        if (result != 0) throw new IOException($"{NativePath.Escape(path)}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
    }
}
