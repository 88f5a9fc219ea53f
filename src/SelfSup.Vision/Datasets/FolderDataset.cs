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
/// Files are opened by their byte names (<see cref="NativePath"/>) and shown by <see cref="NativePath.Display"/>.
/// Memory: one image is decoded at a time per calling thread (the loader's threads), each bounded by
/// <see cref="MaxPixels"/> and reduced to <see cref="DecodeSide"/> where JPEG scaling allows.
/// </summary>
public sealed class FolderDataset : IImageDataset
{
    readonly NativePath[] files;
    readonly int[]? labels;
    readonly ConcurrentDictionary<int, BadFile> decodeFailures = new();
    readonly IReadOnlyList<BadFile> foundAtOpen;

    public string Name { get; }
    public int Count => files.Length;
    public IReadOnlyList<string> ClassNames { get; }
    public BadFilePolicy Policy { get; }
    /// <summary>Shorter side a decoded image needs (0: full size). A run sets it from its views, so that a large JPEG is
    /// decoded at the smallest libjpeg scale that keeps this many pixels (see <see cref="JpegDecoder.Decode"/>): the crops
    /// are then taken from the reduced image, as PIL's draft mode does, and memory no longer grows with the photo's size.</summary>
    public int DecodeSide { get; set; }
    /// <summary>Images whose header claims more pixels are unreadable files (<c>--max-image-pixels</c>).</summary>
    public long MaxPixels { get; set; } = ImageLimits.DefaultMaxPixels;

    /// <summary>The root of this split on disk.</summary>
    public string Root { get; }

    public FolderDataset(string name, string root, NativePath[] files, int[]? labels, IReadOnlyList<string> classNames,
        BadFilePolicy policy, IReadOnlyList<BadFile> badFilesAtOpen)
    {
        if (files.Length == 0) throw new InvalidDataException($"{root}: no readable .jpg/.jpeg/.png images");
        if (labels is not null && labels.Length != files.Length) throw new ArgumentException("one label per file");
        Name = name; Root = root; this.files = files; this.labels = labels;
        ClassNames = labels is null ? [] : classNames;
        Policy = policy; foundAtOpen = badFilesAtOpen;
    }

    /// <summary>Files left out so far: those found at open, then those that failed to decode, in path order.</summary>
    public IReadOnlyList<BadFile> BadFiles => [.. foundAtOpen, .. decodeFailures.OrderBy(kv => kv.Key).Select(kv => kv.Value)];

    /// <summary>Image <paramref name="index"/>'s path as shown (<see cref="NativePath.Display"/>).</summary>
    public string Path(int index) => files[index].Display;
    public string Describe(int index) => files[index].Display;
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
            if (Policy == BadFilePolicy.Skip && decodeFailures.ContainsKey(j)) continue;
            if (TryLoad(j, out var image, out _)) return image!;
            if (Policy == BadFilePolicy.Fail) return Load(j);               // throws again, naming the file
        }
        throw new InvalidDataException($"{Root}: no usable image left: all {Count} files are unreadable (see the warnings above)");
    }

    /// <summary>The stored size of image <paramref name="index"/> from its header (no pixels decoded); an unreadable
    /// file gives its substitute's, as <see cref="Image"/> would.</summary>
    public ImageShape Shape(int index)
    {
        try { return ImageDecoder.ReadShape(Bytes(index), files[index].Display, MaxPixels); }
        catch (Exception e) when (e is InvalidDataException or IOException) { return Image(index).Shape; }
    }

    /// <summary>Decodes image <paramref name="index"/> without substitution; a failure is recorded in <see cref="BadFiles"/>.</summary>
    public bool TryLoad(int index, out RawImage? image, out string? error)
    {
        try
        {
            image = Load(index);
            error = null;
            return true;
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            image = null;
            error = e.Message;
            if (decodeFailures.TryAdd(index, new BadFile(files[index].Display, e.Message)) && Policy == BadFilePolicy.Skip)
                Console.Error.WriteLine($"warning: skipping unreadable image: {e.Message}");
            return false;
        }
    }

    RawImage Load(int index) => ImageDecoder.Decode(Bytes(index), files[index].Display, minSide: DecodeSide, maxPixels: MaxPixels);

    byte[] Bytes(int index) => NativeFiles.Read(files[index], ImageLimits.MaxFileBytes);
}
