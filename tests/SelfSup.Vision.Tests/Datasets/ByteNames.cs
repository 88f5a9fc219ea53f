using System.Runtime.InteropServices;
using System.Text;

namespace SelfSup.Vision.Tests.Datasets;

/// <summary>Gives files and folders names that are not UTF-8 (which .NET's own calls cannot write): make it with an ASCII
/// name, then <c>rename(2)</c> it to the bytes wanted.</summary>
static unsafe partial class ByteNames
{
    [LibraryImport("libc", SetLastError = true)] private static partial int rename(byte* from, byte* to);

    /// <summary>Renames <paramref name="path"/> to the same folder's entry <paramref name="name"/> (raw bytes); returns the new
    /// path's bytes.</summary>
    public static byte[] Rename(string path, byte[] name)
    {
        var folder = Encoding.UTF8.GetBytes(Path.GetDirectoryName(path)! + "/");
        byte[] to = [.. folder, .. name];
        fixed (byte* f = CString(Encoding.UTF8.GetBytes(path)))
        fixed (byte* t = CString(to))
            if (rename(f, t) != 0) throw new IOException($"rename {path}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        return to;
    }

    static byte[] CString(byte[] bytes) => [.. bytes, 0];
}
