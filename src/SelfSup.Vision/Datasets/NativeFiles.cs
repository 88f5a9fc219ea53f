using System.Runtime.InteropServices;

namespace SelfSup.Vision;

/// <summary>What <c>stat(2)</c> says of a path (following links): its type bits and its (device, inode) identity.</summary>
internal readonly record struct FileStatus(uint Type, ulong Device, ulong Inode)
{
    const uint Regular = 0x8000, Folder = 0x4000;

    public bool IsRegular => Type == Regular;
    public bool IsDirectory => Type == Folder;

    /// <summary>The type for messages: "a FIFO", "a socket", …</summary>
    public string Describe() => Type switch
    {
        0x1000 => "a FIFO", 0xC000 => "a socket", 0x2000 => "a character device", 0x6000 => "a block device",
        Folder => "a directory", Regular => "a regular file", _ => "not a regular file",
    };
}

/// <summary>
/// Folders and files by their byte names (<see cref="NativePath"/>), through the C library: .NET's own calls take text,
/// which cannot name a file whose name is not UTF-8; they cannot tell a FIFO from a file without opening it (and opening
/// a FIFO blocks until a writer comes); nor that two folder paths, one through a link, are one folder. Files are opened
/// non-blocking and checked to be regular on the open descriptor, so a FIFO swapped in after a listing cannot hang a
/// read either. Linux x86-64 layouts (glibc): <c>struct stat</c> has st_dev at 0, st_ino at 8, st_mode at 24, st_size
/// at 48 (144 bytes); <c>struct dirent</c> has d_name at 19. Failures are <see cref="IOException"/>s whose message is
/// the C library's (strerror), e.g. "Permission denied".
/// </summary>
internal static unsafe partial class NativeFiles
{
    [LibraryImport("libc", SetLastError = true)] private static partial nint opendir(byte* name);
    [LibraryImport("libc", SetLastError = true)] private static partial byte* readdir(nint dir);
    [LibraryImport("libc")] private static partial int closedir(nint dir);
    [LibraryImport("libc", SetLastError = true)] private static partial int stat(byte* path, byte* buffer);
    [LibraryImport("libc", SetLastError = true)] private static partial int fstat(int fd, byte* buffer);
    [LibraryImport("libc", SetLastError = true)] private static partial int open(byte* path, int flags);
    [LibraryImport("libc", SetLastError = true)] private static partial nint read(int fd, byte* buffer, nint count);
    [LibraryImport("libc")] private static partial int close(int fd);

    const int ReadOnly = 0, NonBlocking = 0x800, NoControllingTerminal = 0x100, CloseOnExec = 0x80000;
    const int Interrupted = 4;                  // EINTR
    const int StatBytes = 256, NameOffset = 19;

    static IOException LastError() => new(Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError()));

    static FileStatus Parse(byte* buffer) => new(*(uint*)(buffer + 24) & 0xF000, *(ulong*)buffer, *(ulong*)(buffer + 8));

    /// <summary>The status of <paramref name="path"/> after following links; null (and why) when it cannot be had.</summary>
    public static FileStatus? Status(NativePath path, out string? error)
    {
        byte* buffer = stackalloc byte[StatBytes];
        fixed (byte* p = path.ToCString())
        {
            if (stat(p, buffer) != 0) { error = LastError().Message; return null; }
        }
        error = null;
        return Parse(buffer);
    }

    /// <summary>The names in folder <paramref name="folder"/>, without "." and "..", in the order the file system gives.</summary>
    public static List<NativePath> List(NativePath folder)
    {
        nint dir;
        fixed (byte* p = folder.ToCString()) dir = opendir(p);
        if (dir == 0) throw LastError();
        try
        {
            var entries = new List<NativePath>();
            while (true)
            {
                Marshal.SetLastPInvokeError(0);
                byte* entry = readdir(dir);
                if (entry == null)
                {
                    if (Marshal.GetLastPInvokeError() != 0) throw LastError();
                    return entries;
                }
                var name = MemoryMarshal.CreateReadOnlySpanFromNullTerminated(entry + NameOffset);
                if (name.SequenceEqual("."u8) || name.SequenceEqual(".."u8)) continue;
                entries.Add(folder.Child(name));
            }
        }
        finally { closedir(dir); }
    }

    /// <summary>Up to <paramref name="upTo"/> bytes from the start of regular file <paramref name="path"/> (all of it when
    /// it is shorter). A file that is not regular, or longer than <paramref name="maxBytes"/> when the whole file is asked
    /// for, is an <see cref="InvalidDataException"/> naming it.</summary>
    public static byte[] Read(NativePath path, long maxBytes, long upTo = long.MaxValue)
    {
        int fd;
        fixed (byte* p = path.ToCString()) fd = open(p, ReadOnly | NonBlocking | NoControllingTerminal | CloseOnExec);
        if (fd < 0) throw new IOException($"{path.Display}: {LastError().Message}");
        try
        {
            byte* buffer = stackalloc byte[StatBytes];
            if (fstat(fd, buffer) != 0) throw new IOException($"{path.Display}: {LastError().Message}");
            var status = Parse(buffer);
            if (!status.IsRegular) throw new InvalidDataException($"{path.Display}: {status.Describe()}, not an image file");
            long size = *(long*)(buffer + 48);
            if (upTo == long.MaxValue && size > maxBytes)
                throw new InvalidDataException($"{path.Display}: file of {size} bytes is over the {maxBytes >> 20} MB limit");
            var bytes = new byte[Math.Min(size, upTo)];
            int filled = 0;
            fixed (byte* b = bytes)
                while (filled < bytes.Length)
                {
                    nint n = read(fd, b + filled, bytes.Length - filled);
                    if (n < 0 && Marshal.GetLastPInvokeError() == Interrupted) continue;
                    if (n < 0) throw new IOException($"{path.Display}: {LastError().Message}");
                    if (n == 0) break;                           // the file shrank since fstat
                    filled += (int)n;
                }
            return filled == bytes.Length ? bytes : bytes[..filled];
        }
        finally { close(fd); }
    }
}
