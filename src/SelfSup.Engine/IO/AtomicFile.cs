using System.Text;

namespace SelfSup.Engine.IO;

/// <summary>
/// Writes a file all at once or not at all: into <c>path.tmp-XXXX</c> in the same folder, flushed to disk, then renamed
/// over <c>path</c>. If anything fails, the temporary file is removed and an existing file at <c>path</c> is left as it
/// was. A missing output folder is reported by name before anything is written. Checkpoints, exports, embeddings,
/// config.yaml and report.html are all written this way.
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
        using var staged = Stage(path, write);
        staged.Commit();
    }

    /// <summary>Writes <paramref name="write"/>'s bytes to a flushed temporary file beside <paramref name="path"/> and leaves
    /// it there until <see cref="Staged.Commit"/> renames it over <paramref name="path"/>; disposing an uncommitted one
    /// deletes it. A writer can so prepare a file now and decide later whether it may replace the old one.</summary>
    public static Staged Stage(string path, Action<Stream> write)
    {
        CheckFolder(path);
        string full = Path.GetFullPath(path);
        string temp = $"{full}.tmp-{Random.Shared.Next():x8}";
        try
        {
            using var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
            write(file);
            file.Flush(flushToDisk: true);
        }
        catch
        {
            Delete(temp);
            throw;
        }
        return new Staged(temp, full);
    }

    /// <summary>A complete temporary file waiting to replace its target (see <see cref="Stage"/>).</summary>
    public sealed class Staged(string temp, string target) : IDisposable
    {
        bool committed;

        /// <summary>The file this one replaces on <see cref="Commit"/>.</summary>
        public string Target => target;

        /// <summary>Renames the temporary file over the target (atomic on one file system).</summary>
        public void Commit()
        {
            if (committed) return;
            try { File.Move(temp, target, overwrite: true); }
            catch { Delete(temp); throw; }
            committed = true;
        }

        /// <summary>Deletes the temporary file unless it was committed.</summary>
        public void Dispose()
        {
            if (!committed) Delete(temp);
            committed = true;
        }
    }

    static void Delete(string temp)
    {
        try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>Writes <paramref name="text"/> as UTF-8 (no BOM), atomically.</summary>
    public static void WriteAllText(string path, string text) =>
        Write(path, stream => stream.Write(new UTF8Encoding(false).GetBytes(text)));
}
