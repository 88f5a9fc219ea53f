namespace SelfSup.Vision;

/// <summary>
/// Turns a folder of JPEG/PNG files into splits, the way torchvision's ImageFolder reads one:
/// <list type="bullet">
/// <item><c>DIR/train</c> and <c>DIR/test</c> (or <c>DIR/val</c>) are the splits when <c>train</c> exists; else DIR is the one split;</item>
/// <item>within a split, sub-folders are classes (sorted by name; files found at any depth below them), labelled by index;
/// a split with no sub-folders is unlabelled; both splits use the union of their class folders so labels agree;</item>
/// <item>.jpg, .jpeg and .png in any letter case are taken; names starting with '.' (files or folders) are skipped;</item>
/// <item>files whose first bytes are not JPEG/PNG (or that cannot be opened) are bad files, handled by the <see cref="BadFilePolicy"/>.</item>
/// </list>
/// </summary>
public static class ImageFolder
{
    static readonly string[] Extensions = [".jpg", ".jpeg", ".png"];

    public static DataSplits Open(string directory, BadFilePolicy policy = BadFilePolicy.Skip)
    {
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"image folder not found: {directory}");
        var root = System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(directory));
        var trainDir = System.IO.Path.Combine(root, "train");
        if (!Directory.Exists(trainDir)) return new DataSplits(Split(root, "train", System.IO.Path.GetFileName(root), ClassFolders(root), policy), null);

        var testDir = new[] { "test", "val" }.Select(s => System.IO.Path.Combine(root, s)).FirstOrDefault(Directory.Exists);
        var classes = ClassFolders(trainDir).Union(testDir is null ? [] : ClassFolders(testDir)).Order(StringComparer.Ordinal).ToArray();
        var name = System.IO.Path.GetFileName(root);
        var train = Split(trainDir, "train", name, ClassFolders(trainDir).Length > 0 ? classes : [], policy);
        var test = testDir is null ? null
            : Split(testDir, System.IO.Path.GetFileName(testDir), name, ClassFolders(testDir).Length > 0 ? classes : [], policy);
        return new DataSplits(train, test);
    }

    static string[] ClassFolders(string dir) =>
        new DirectoryInfo(dir).EnumerateDirectories().Where(d => !d.Name.StartsWith('.'))
            .Select(d => d.Name).Order(StringComparer.Ordinal).ToArray();

    static FolderDataset Split(string dir, string split, string datasetName, string[] classes, BadFilePolicy policy)
    {
        var paths = new List<string>();
        var labels = new List<int>();
        var bad = new List<BadFile>();
        if (classes.Length == 0)
            foreach (var f in Images(dir, recursive: false, bad)) Add(f, -1);
        else
        {
            for (int c = 0; c < classes.Length; c++)
            {
                var classDir = System.IO.Path.Combine(dir, classes[c]);
                if (Directory.Exists(classDir)) foreach (var f in Images(classDir, recursive: true, bad)) Add(f, c);
            }
            foreach (var f in Images(dir, recursive: false, bad)) bad.Add(new BadFile(f, "not inside a class folder (ignored)"));
        }
        return new FolderDataset($"{datasetName}/{split}", dir, [.. paths], classes.Length == 0 ? null : [.. labels], classes, policy, bad);

        void Add(string path, int label)
        {
            var problem = Sniff(path);
            if (problem is null) { paths.Add(path); labels.Add(label); return; }
            if (policy == BadFilePolicy.Fail) throw new InvalidDataException(problem);
            bad.Add(new BadFile(path, problem));
            Console.Error.WriteLine($"warning: skipping unreadable image: {problem}");
        }
    }

    /// <summary>Deepest folder nesting walked below a class folder.</summary>
    const int MaxDepth = 64;

    /// <summary>Image files below <paramref name="dir"/> with a known extension, hidden names skipped, in ordinal path
    /// order. Each directory is entered once, however many links lead to it (a link <c>self -> .</c> or a loop would
    /// otherwise list its files again and again), and at most <see cref="MaxDepth"/> levels deep; what is passed over is
    /// reported in <paramref name="skipped"/>.</summary>
    static IEnumerable<string> Images(string dir, bool recursive, List<BadFile> skipped)
    {
        var visited = new HashSet<(ulong, ulong)>();
        var found = new List<string>();
        Walk(dir, 0);
        return found.Order(StringComparer.Ordinal);

        void Skip(string path, string reason)
        {
            skipped.Add(new BadFile(path, reason));
            Console.Error.WriteLine($"warning: {reason}");
        }

        void Walk(string folder, int depth)
        {
            if (FileStatus.Of(folder) is { } self && !visited.Add((self.Device, self.Inode)))
            {
                Skip(folder, $"{folder}: a link to a folder already listed (skipped)");
                return;
            }
            DirectoryInfo[] subfolders;
            try
            {
                var info = new DirectoryInfo(folder);
                found.AddRange(info.EnumerateFiles()
                    .Where(f => !f.Name.StartsWith('.') && Extensions.Contains(f.Extension, StringComparer.OrdinalIgnoreCase))
                    .Select(f => f.FullName));
                subfolders = recursive ? [.. info.EnumerateDirectories().Where(d => !d.Name.StartsWith('.'))] : [];
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Skip(folder, $"{folder}: folder cannot be read ({e.Message})");
                return;
            }
            foreach (var sub in subfolders)
            {
                if (depth + 1 > MaxDepth) { Skip(sub.FullName, $"{sub.FullName}: more than {MaxDepth} folders deep (skipped)"); continue; }
                Walk(sub.FullName, depth + 1);
            }
        }
    }

    /// <summary>Null when the file starts like a JPEG or PNG; else why not, starting with the path.</summary>
    static string? Sniff(string path)
    {
        if (FileStatus.Of(path) is { } status && !FileStatus.IsRegular(status.Type))
            return $"{path}: {FileStatus.Describe(status.Type)}, not an image file (skipped without opening it)";
        try
        {
            using var file = File.OpenRead(path);
            Span<byte> head = stackalloc byte[8];
            int n = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            if (n == 0) return $"{path}: empty file (0 bytes)";
            return ImageDecoder.Sniff(head[..n]) == ImageFormat.Unknown ? $"{path}: not a JPEG or PNG image" : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"{path}: cannot be read ({e.Message})";
        }
    }
}
