using System.Collections.Concurrent;

namespace SelfSup.Vision;

/// <summary>What to do with a file that cannot be read as an image.</summary>
public enum BadFilePolicy
{
    /// <summary>Leave it out, remember it in <see cref="FolderDataset.BadFiles"/> and say so once on stderr (the default).</summary>
    Skip,
    /// <summary>Stop with an <see cref="InvalidDataException"/> naming the file (<c>--strict</c>).</summary>
    Fail,
}

/// <summary>A file left out of a dataset, and why.</summary>
public sealed record BadFile(string Path, string Reason);

/// <summary>
/// Image files decoded on demand (see <see cref="ImageFolder"/> for how a folder becomes splits). Files whose
/// first bytes are not JPEG or PNG are found when the folder is opened; a file that only fails when decoded is
/// found when first read. Under <see cref="BadFilePolicy.Skip"/> such a slot is served the next readable file's
/// image (deterministically: the same substitute every time, whatever the thread), keeping its own label.
/// </summary>
public sealed class FolderDataset : IImageDataset
{
    readonly string[] paths;
    readonly int[]? labels;
    readonly ConcurrentDictionary<string, BadFile> decodeFailures = new();
    readonly IReadOnlyList<BadFile> foundAtOpen;

    public string Name { get; }
    public int Count => paths.Length;
    public IReadOnlyList<string> ClassNames { get; }
    public BadFilePolicy Policy { get; }
    /// <summary>Shorter side a decoded image needs (0: full size). A run sets it from its views, so that a large JPEG is
    /// decoded at the smallest libjpeg scale that keeps this many pixels (see <see cref="JpegDecoder.Decode"/>): the crops
    /// are then taken from the reduced image, as PIL's draft mode does, and memory no longer grows with the photo's size.</summary>
    public int DecodeSide { get; set; }

    /// <summary>The root of this split on disk.</summary>
    public string Root { get; }

    public FolderDataset(string name, string root, string[] paths, int[]? labels, IReadOnlyList<string> classNames,
        BadFilePolicy policy, IReadOnlyList<BadFile> badFilesAtOpen)
    {
        if (paths.Length == 0) throw new InvalidDataException($"{root}: no readable .jpg/.jpeg/.png images");
        if (labels is not null && labels.Length != paths.Length) throw new ArgumentException("one label per file");
        Name = name; Root = root; this.paths = paths; this.labels = labels;
        ClassNames = labels is null ? [] : classNames;
        Policy = policy; foundAtOpen = badFilesAtOpen;
    }

    /// <summary>Files left out so far: those found at open, then those that failed to decode, by path.</summary>
    public IReadOnlyList<BadFile> BadFiles =>
        [.. foundAtOpen, .. decodeFailures.Values.OrderBy(b => b.Path, StringComparer.Ordinal)];

    public string Path(int index) => paths[index];
    public string Describe(int index) => paths[index];
    public int Label(int index) => labels is null ? -1 : labels[index];

    /// <summary>Decodes image <paramref name="index"/>; see the class summary for what happens to unreadable files. Under
    /// <see cref="BadFilePolicy.Skip"/> the substitute is the next readable file (wrapping around), however many
    /// unreadable ones come first; files already known to be unreadable are passed over without decoding them again. Only a
    /// split with no readable file left is an error.</summary>
    public RawImage Image(int index)
    {
        for (int attempt = 0; attempt < Count; attempt++)
        {
            int j = (index + attempt) % Count;
            if (Policy == BadFilePolicy.Skip && decodeFailures.ContainsKey(paths[j])) continue;
            if (TryLoad(j, out var image, out _)) return image!;
            if (Policy == BadFilePolicy.Fail) return ImageDecoder.Load(paths[j], minSide: DecodeSide);    // throws again, naming the file
        }
        throw new InvalidDataException($"{Root}: no usable image left: all {Count} files are unreadable (see the warnings above)");
    }

    /// <summary>Decodes image <paramref name="index"/> without substitution; a failure is recorded in <see cref="BadFiles"/>.</summary>
    public bool TryLoad(int index, out RawImage? image, out string? error)
    {
        try
        {
            image = ImageDecoder.Load(paths[index], minSide: DecodeSide);
            error = null;
            return true;
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            image = null;
            error = e.Message;
            if (decodeFailures.TryAdd(paths[index], new BadFile(paths[index], e.Message)) && Policy == BadFilePolicy.Skip)
                Console.Error.WriteLine($"warning: skipping unreadable image: {e.Message}");
            return false;
        }
    }
}
