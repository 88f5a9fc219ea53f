namespace SelfSup.Vision;

/// <summary>
/// Lists the image files of one split's folders. Each folder is entered once, however many links lead to it: the split
/// and its class folders are claimed before any walk starts, so <c>dog/self -> .</c>, <c>dog/up -> ..</c> or
/// <c>dog/cats -> ../cat</c> is passed over instead of listing a class again or under another label. Walks go at most
/// <see cref="MaxDepth"/> levels deep. What is passed over (links already listed, unreadable or too deep folders, files
/// that are not regular) goes to <see cref="Bad"/> with a warning, or is an <see cref="InvalidDataException"/> under
/// <see cref="BadFilePolicy.Fail"/>.
/// </summary>
internal sealed class FolderWalk(BadFilePolicy policy)
{
    /// <summary>Deepest folder nesting walked below a class folder.</summary>
    public const int MaxDepth = 64;

    readonly HashSet<(ulong Device, ulong Inode)> claimed = [];

    /// <summary>Everything passed over so far, in the order found.</summary>
    public List<BadFile> Bad { get; } = [];

    /// <summary>Marks <paramref name="folder"/> as listed by a walk of its own.</summary>
    public void Claim(NativePath folder)
    {
        if (NativeFiles.Status(folder, out _) is { } status) claimed.Add((status.Device, status.Inode));
    }

    /// <summary>Image files (by extension, hidden names skipped) in <paramref name="start"/> and, when
    /// <paramref name="recursive"/>, below it, in byte order of their paths.</summary>
    public List<NativePath> Images(NativePath start, bool recursive)
    {
        var found = new List<NativePath>();
        Walk(start, 0, found, recursive);
        found.Sort();
        return found;
    }

    void Walk(NativePath folder, int depth, List<NativePath> found, bool recursive)
    {
        List<NativePath> entries;
        try { entries = NativeFiles.List(folder); }
        catch (IOException e) { PassOver(folder, $"folder cannot be read ({e.Message})"); return; }
        foreach (var entry in entries)
        {
            if (ImageFolder.IsHidden(entry)) continue;
            bool image = HasImageExtension(entry.FileName);
            var status = NativeFiles.Status(entry, out var error);
            if (status is null)
            {
                if (image) PassOver(entry, $"cannot be read ({error})");
            }
            else if (status.Value.IsDirectory)
            {
                if (!recursive) continue;
                if (depth + 1 > MaxDepth) PassOver(entry, $"more than {MaxDepth} folders deep");
                else if (!claimed.Add((status.Value.Device, status.Value.Inode)))
                    PassOver(entry, "a link to a folder already listed");
                else Walk(entry, depth + 1, found, recursive);
            }
            else if (image && !status.Value.IsRegular)
                PassOver(entry, $"{status.Value.Describe()}, not an image file");
            else if (image) found.Add(entry);
        }
    }

    /// <summary>Records (or, under Fail, throws) that <paramref name="path"/> is passed over because of <paramref name="what"/>.</summary>
    void PassOver(NativePath path, string what)
    {
        if (policy == BadFilePolicy.Fail) throw new InvalidDataException($"{path.Display}: {what} (--strict)");
        var reason = $"{path.Display}: {what} (skipped)";
        Bad.Add(new BadFile(path.Display, reason));
        Console.Error.WriteLine($"warning: {reason}");
    }

    /// <summary>.jpg, .jpeg or .png in any letter case.</summary>
    static bool HasImageExtension(ReadOnlySpan<byte> name)
    {
        int dot = name.LastIndexOf((byte)'.');
        if (dot < 0) return false;
        var ext = name[(dot + 1)..];
        return System.Text.Ascii.EqualsIgnoreCase(ext, "jpg"u8) || System.Text.Ascii.EqualsIgnoreCase(ext, "jpeg"u8)
            || System.Text.Ascii.EqualsIgnoreCase(ext, "png"u8);
    }
}
