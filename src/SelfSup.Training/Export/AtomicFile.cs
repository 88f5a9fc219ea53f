namespace SelfSup.Training;

/// <summary>
/// Writes a file all at once or not at all (the pattern of <see cref="SelfSup.Engine.IO.SafeTensors.Save"/>): into
/// <c>path.tmp-XXXX</c> in the same folder, flushed to disk, then renamed over <c>path</c>. A missing output folder is
/// reported by name before anything is written.
/// </summary>
public static class AtomicFile
{
    /// <summary>Fails with a message naming the folder when <paramref name="path"/>'s folder does not exist.</summary>
    public static void CheckFolder(string path)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null && !Directory.Exists(folder)) throw new DirectoryNotFoundException($"output folder not found: {folder}");
        if (Directory.Exists(path)) throw new IOException($"{path} is a folder, not a file name");
    }

    /// <summary>Runs <paramref name="write"/> on a temporary file, then moves it over <paramref name="path"/>.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        CheckFolder(path);
        string full = Path.GetFullPath(path);
        string temp = $"{full}.tmp-{Random.Shared.Next():x8}";
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                write(file);
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }
}
