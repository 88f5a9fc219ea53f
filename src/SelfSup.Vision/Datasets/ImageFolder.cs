namespace SelfSup.Vision;

/// <summary>
/// Turns a folder of JPEG/PNG files into splits, the way torchvision's ImageFolder reads one:
/// <list type="bullet">
/// <item><c>DIR/train</c> and <c>DIR/test</c> (or <c>DIR/val</c>) are the splits when <c>train</c> exists; else DIR is the one split;</item>
/// <item>within a split, sub-folders are classes (sorted by name; files found at any depth below them), labelled by index;
/// a split with no sub-folders is unlabelled; both splits use the union of their class folders so labels agree;</item>
/// <item>.jpg, .jpeg and .png in any letter case are taken; names starting with '.' (files or folders) are skipped;</item>
/// <item>files whose first bytes are not JPEG/PNG (or that cannot be opened) are bad files, handled by the <see cref="BadFilePolicy"/>;
/// so are folders passed over (unreadable, too deep, reached again through a link): reported, or an error under Fail;</item>
/// <item>names are bytes (<see cref="NativePath"/>): a name that is not UTF-8 is read like any other and shown escaped.</item>
/// </list>
/// </summary>
public static class ImageFolder
{
    public static DataSplits Open(string directory, BadFilePolicy policy = BadFilePolicy.Skip)
    {
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"image folder not found: {directory}");
        var root = System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(directory));
        var trainDir = System.IO.Path.Combine(root, "train");
        var name = System.IO.Path.GetFileName(root);
        if (!Directory.Exists(trainDir)) return new DataSplits(Split(root, "train", name, ClassFolders(root), policy), null);

        var testDir = new[] { "test", "val" }.Select(s => System.IO.Path.Combine(root, s)).FirstOrDefault(Directory.Exists);
        var trainClasses = ClassFolders(trainDir);
        var testClasses = testDir is null ? [] : ClassFolders(testDir);
        NativePath[] classes = [.. trainClasses.Union(testClasses).Order()];
        var train = Split(trainDir, "train", name, trainClasses.Length > 0 ? classes : [], policy);
        var test = testDir is null ? null
            : Split(testDir, System.IO.Path.GetFileName(testDir), name, testClasses.Length > 0 ? classes : [], policy);
        return new DataSplits(train, test);
    }

    /// <summary>The names (one component each) of the sub-folders of <paramref name="dir"/> that are classes, by bytes.</summary>
    static NativePath[] ClassFolders(string dir)
    {
        var folder = new NativePath(dir);
        try
        {
            return [.. NativeFiles.List(folder)
                .Where(p => !IsHidden(p) && NativeFiles.Status(p, out _) is { IsDirectory: true })
                .Select(p => NativePath.Relative(p.FileName)).Order()];
        }
        catch (IOException e) { throw new IOException($"{dir}: folder cannot be read ({e.Message})", e); }
    }

    static FolderDataset Split(string dir, string split, string datasetName, NativePath[] classes, BadFilePolicy policy)
    {
        var files = new List<NativePath>();
        var labels = new List<int>();
        var walk = new FolderWalk(policy);
        var splitDir = new NativePath(dir);
        var classDirs = classes.Select(c => splitDir.Child(c.Bytes)).ToArray();
        foreach (var folder in classDirs.Prepend(splitDir)) walk.Claim(folder);   // a link to any of them is not followed
        if (classes.Length == 0)
            foreach (var f in walk.Images(splitDir, recursive: false)) Add(f, -1);
        else
        {
            for (int c = 0; c < classes.Length; c++)
                if (NativeFiles.Status(classDirs[c], out _) is { IsDirectory: true })
                    foreach (var f in walk.Images(classDirs[c], recursive: true)) Add(f, c);
            foreach (var f in walk.Images(splitDir, recursive: false)) walk.Bad.Add(new BadFile(f.Display, "not inside a class folder (ignored)"));
        }
        return new FolderDataset($"{datasetName}/{split}", dir, [.. files], classes.Length == 0 ? null : [.. labels],
            [.. classes.Select(c => c.Display)], policy, walk.Bad);

        void Add(NativePath path, int label)
        {
            var problem = Sniff(path);
            if (problem is null) { files.Add(path); labels.Add(label); return; }
            if (policy == BadFilePolicy.Fail) throw new InvalidDataException(problem);
            walk.Bad.Add(new BadFile(path.Display, problem));
            Console.Error.WriteLine($"warning: skipping unreadable image: {problem}");
        }
    }

    internal static bool IsHidden(NativePath path) => path.FileName.StartsWith("."u8);

    /// <summary>Null when the file starts like a JPEG or PNG; else why not, starting with the path.</summary>
    static string? Sniff(NativePath path)
    {
        try
        {
            var head = NativeFiles.Read(path, ImageLimits.MaxFileBytes, upTo: 8);
            if (head.Length == 0) return $"{path.Display}: empty file (0 bytes)";
            return ImageDecoder.Sniff(head) == ImageFormat.Unknown ? $"{path.Display}: not a JPEG or PNG image" : null;
        }
        catch (Exception e) when (e is IOException or InvalidDataException)
        {
            return e is InvalidDataException ? e.Message : $"{path.Display}: cannot be read ({e.Message})";
        }
    }
}
