using System.Runtime.InteropServices;

namespace SelfSup.Vision;

/// <summary>
/// What <c>stat(2)</c> says of a path (following links): its type and its (device, inode) identity. .NET has no portable
/// way to tell a FIFO or a socket from a regular file without opening it, and opening a FIFO blocks until a writer
/// comes; nor to tell that two directory paths (one through a link) are the same directory. Linux x86-64 layout
/// (glibc's <c>struct stat</c>: st_dev at 0, st_ino at 8, st_mode at 24; 144 bytes).
/// </summary>
internal static unsafe partial class FileStatus
{
    [LibraryImport("libc", EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Stat(string path, byte* buffer);

    const uint TypeMask = 0xF000, Regular = 0x8000, Directory = 0x4000;

    /// <summary>The path's type bits and identity, or null when it cannot be stat'ed (dangling link, no permission).</summary>
    public static (uint Type, ulong Device, ulong Inode)? Of(string path)
    {
        byte* buffer = stackalloc byte[256];
        if (Stat(path, buffer) != 0) return null;
        return (*(uint*)(buffer + 24) & TypeMask, *(ulong*)buffer, *(ulong*)(buffer + 8));
    }

    /// <summary>Whether <paramref name="type"/> (from <see cref="Of"/>) is a regular file.</summary>
    public static bool IsRegular(uint type) => type == Regular;

    /// <summary>Whether <paramref name="type"/> is a directory.</summary>
    public static bool IsDirectory(uint type) => type == Directory;

    /// <summary>Names a non-regular type for messages.</summary>
    public static string Describe(uint type) => type switch
    {
        0x1000 => "a FIFO", 0xC000 => "a socket", 0x2000 => "a character device", 0x6000 => "a block device",
        Directory => "a directory", Regular => "a regular file", _ => "not a regular file",
    };
}
