using System.Diagnostics;
using System.Text;
using SelfSup.Testing;
using SelfSup.Vision.Tests.Datasets;
using Xunit;
using Xunit.Abstractions;

namespace SelfSup.Vision.Tests;

/// <summary>
/// Seeded random image-folder trees — good and damaged images, empty and non-image files, FIFOs, dangling links, links
/// back to folders already listed, hidden names, names that are not UTF-8 or hold controls, nested and (when not root)
/// unreadable folders — opened as a dataset. The generator knows what each tree must give, so each case asserts the exact
/// result, not only survival: no unhandled exception and no hang (20 s), the classes and the listed files with their
/// labels, every good image's own pixels, every bad entry reported once, and the same listing on a second open.
/// </summary>
public sealed class FolderTreeFuzzTests(ITestOutputHelper output) : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("selfsup-treefuzz-").FullName;

    public void Dispose()
    {
        foreach (var locked in lockedFolders) ByteNames.Chmod(locked, 0b111_000_000);
        using var rm = Process.Start("rm", ["-rf", root]);                         // .NET cannot delete names that are not UTF-8
        rm.WaitForExit();
    }

    readonly List<byte[]> lockedFolders = [];
    static readonly bool IsRoot = Environment.UserName == "root";

    /// <summary>What a tree must give: the classes (display names, in order) and, per listed file, its path, label and
    /// pixels (null: the file is listed but fails to decode); the entries that must be reported as bad.</summary>
    sealed class Expected
    {
        public List<byte[]> ClassNames = [];
        public List<(byte[] Path, int Label, RawImage? Image)> Listed = [];
        public HashSet<string> Bad = [];
    }

    static readonly byte[][] Names =
    [
        "cat"u8.ToArray(), "dog"u8.ToArray(), "a b"u8.ToArray(), "猫"u8.ToArray(), [(byte)'c', 0xE9], [0xFF, 0xFE],
        "x\ny"u8.ToArray(), "-dash"u8.ToArray(), "UPPER"u8.ToArray(), [0xC3], "back\\slash"u8.ToArray(),
    ];
    static readonly string[] ImageExtensions = [".png", ".PNG", ".jpg", ".jpeg"];
    static readonly byte[] Jpeg = Fixtures.Bytes("rgb420_17x13.jpg");

    [Fact, Trait("Category", "Fuzz")]
    public void Random_folder_trees_give_exactly_what_they_hold()
    {
        int cases = Fuzz.Cases(25), listed = 0, bad = 0;
        var failures = new List<string>();
        var clock = Stopwatch.StartNew();
        for (int c = 0; c < cases && failures.Count < 5; c++)
        {
            var dir = Encoding.UTF8.GetBytes(Path.Combine(root, $"tree{c}"));
            var expected = Generate(dir, new Random(c));
            try
            {
                var problem = Check(Encoding.UTF8.GetString(dir), expected);
                if (problem is not null) failures.Add($"tree {c} (seed {c}): {problem}");
            }
            catch (Exception e) { failures.Add($"tree {c} (seed {c}): crash: {e.GetType().Name}: {e.Message}"); }
            listed += expected.Listed.Count;
            bad += expected.Bad.Count;
        }
        var summary = $"fuzz folder-tree: {cases} trees, {listed} files listed, {bad} bad entries reported, " +
                      $"{failures.Count(f => f.Contains("crash:"))} crashes, {failures.Count(f => f.Contains("hang:"))} hangs, " +
                      $"{failures.Count(f => !f.Contains("crash:") && !f.Contains("hang:"))} wrong results, {clock.Elapsed.TotalSeconds:F1} s";
        output.WriteLine(summary);
        if (Environment.GetEnvironmentVariable("SELFSUP_FUZZ_REPORT") is { Length: > 0 } report) File.AppendAllText(report, summary + "\n");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>Null when opening <paramref name="dir"/> gives what <paramref name="expected"/> says; else what differs.</summary>
    static string? Check(string dir, Expected expected)
    {
        var open = Task.Run(() => (FolderDataset)ImageFolder.Open(dir).Train);
        if (!((IAsyncResult)open).AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(20))) return "hang: opening did not end within 20 s";
        if (open.IsFaulted)
        {
            var e = open.Exception!.InnerException!;
            if (expected.Listed.Count == 0 && e is InvalidDataException && !e.Message.Contains('\n')) return null;
            return $"crash: {e.GetType().Name}: {e.Message}";
        }
        var data = open.Result;
        var classes = expected.ClassNames.Select(n => NativePath.Escape(n)).ToArray();
        if (!data.ClassNames.SequenceEqual(classes)) return $"classes [{string.Join(", ", data.ClassNames)}], expected [{string.Join(", ", classes)}]";
        var files = expected.Listed.OrderBy(f => f.Label).ThenBy(f => f.Path, Comparer<byte[]>.Create((a, b) => a.AsSpan().SequenceCompareTo(b))).ToArray();
        if (data.Count != files.Length) return $"{data.Count} files listed, expected {files.Length}";
        for (int i = 0; i < files.Length; i++)
        {
            if (data.Path(i) != NativePath.Escape(files[i].Path) || data.Label(i) != files[i].Label)
                return $"file {i} is {data.Path(i)} (label {data.Label(i)}), expected {NativePath.Escape(files[i].Path)} (label {files[i].Label})";
            if (files[i].Image is { } want)
            {
                var got = data.Image(i);
                if (got.Shape != want.Shape || !got.Pixels.AsSpan().SequenceEqual(want.Pixels)) return $"{data.Path(i)}: not its own pixels";
            }
            else if (!data.TryLoad(i, out _, out var error) && error!.Contains('\n')) return $"{data.Path(i)}: error not one line";
        }
        var reported = data.BadFiles.Where(b => !b.Reason.EndsWith("(ignored)")).Select(b => b.Path).ToList();
        if (reported.Count != reported.Distinct().Count()) return "a bad entry is reported twice";
        if (!reported.ToHashSet().SetEquals(expected.Bad))
            return $"bad entries [{string.Join(", ", reported.Order())}], expected [{string.Join(", ", expected.Bad.Order())}]";
        if (data.BadFiles.FirstOrDefault(b => b.Reason.Contains('\n')) is { } multi) return $"reason not one line: {multi.Reason}";
        var again = (FolderDataset)ImageFolder.Open(dir).Train;
        if (!Enumerable.Range(0, data.Count).All(i => again.Path(i) == data.Path(i) && again.Label(i) == data.Label(i)))
            return "a second open lists other files";
        return null;
    }

    /// <summary>Writes a random tree at <paramref name="dir"/>: a labelled split (2 in 3) or an unlabelled one.</summary>
    Expected Generate(byte[] dir, Random rng)
    {
        var expected = new Expected();
        ByteNames.Folder(dir);
        if (rng.Next(3) == 0)
        {
            Fill(dir, dir, -1, depth: 0, recursive: false, [dir], rng, expected);
            return expected;
        }
        var classNames = Names.OrderBy(_ => rng.Next()).Take(1 + rng.Next(4)).ToList();
        classNames.Sort((a, b) => a.AsSpan().SequenceCompareTo(b));
        expected.ClassNames = classNames;
        var classDirs = classNames.Select(n => Child(dir, n)).ToArray();
        foreach (var folder in classDirs) ByteNames.Folder(folder);
        for (int c = 0; c < classDirs.Length; c++) Fill(classDirs[c], dir, c, depth: 0, recursive: true, [dir, .. classDirs], rng, expected);
        if (rng.Next(2) == 0)                                                        // a file outside every class
            ByteNames.File(Child(dir, "stray.png"u8.ToArray()), PngEncoder.Encode(RandomImage(rng)));
        if (rng.Next(3) == 0)                                                        // a hidden folder is not a class
        {
            var hidden = Child(dir, ".cache"u8.ToArray());
            ByteNames.Folder(hidden);
            ByteNames.File(Child(hidden, "0.png"u8.ToArray()), PngEncoder.Encode(RandomImage(rng)));
        }
        return expected;
    }

    /// <summary>Fills <paramref name="folder"/> with random entries; <paramref name="claimed"/> are folders already listed
    /// (ancestors and every class), which a link may point back to.</summary>
    void Fill(byte[] folder, byte[] splitDir, int label, int depth, bool recursive, List<byte[]> claimed, Random rng, Expected expected)
    {
        var used = new HashSet<string>();
        int entries = rng.Next(7);
        for (int e = 0; e < entries; e++)
        {
            var name = Names[rng.Next(Names.Length)];
            string ext = ImageExtensions[rng.Next(ImageExtensions.Length)];
            int kind = rng.Next(recursive && depth < 3 ? 12 : 10);
            byte[] entryName = kind is 10 or 11 ? name : [.. name, .. Encoding.ASCII.GetBytes(ext)];
            if (!used.Add(Convert.ToHexString(entryName))) continue;
            var path = Child(folder, entryName);
            string shown = NativePath.Escape(path);
            switch (kind)
            {
                case 0 or 1:                                                        // a good image
                    var image = RandomImage(rng);
                    ByteNames.File(path, PngEncoder.Encode(image));
                    expected.Listed.Add((path, label, image));
                    break;
                case 2:                                                             // a good JPEG
                    ByteNames.File(path, Jpeg);
                    expected.Listed.Add((path, label, ImageDecoder.Decode(Jpeg, "fixture")));
                    break;
                case 3:                                                             // damaged after its signature
                    var png = PngEncoder.Encode(RandomImage(rng));
                    png[8 + rng.Next(png.Length - 8)] ^= (byte)(1 + rng.Next(255));
                    ByteNames.File(path, png);
                    expected.Listed.Add((path, label, null));
                    expected.Bad.Add(shown);
                    break;
                case 4: ByteNames.File(path, []); expected.Bad.Add(shown); break;                       // empty
                case 5: ByteNames.File(path, "not an image"u8.ToArray()); expected.Bad.Add(shown); break;
                case 6: ByteNames.Fifo(path); expected.Bad.Add(shown); break;
                case 7: ByteNames.Link(Child(folder, "nowhere"u8.ToArray()), path); expected.Bad.Add(shown); break;   // dangling
                case 8:                                                             // hidden, or not an image by name: ignored
                    ByteNames.File(Child(folder, rng.Next(2) == 0 ? [(byte)'.', .. entryName] : [.. name, .. ".txt"u8]),
                        PngEncoder.Encode(RandomImage(rng)));
                    used.Add(Convert.ToHexString(name) + "-ignored");
                    break;
                case 9 when recursive && used.Add(Convert.ToHexString(name)):        // a link back to a folder already listed
                    ByteNames.Link(claimed[rng.Next(claimed.Count)], Child(folder, name));
                    expected.Bad.Add(NativePath.Escape(Child(folder, name)));
                    break;
                case 9: break;
                case 10:                                                            // a sub-folder
                    ByteNames.Folder(path);
                    Fill(path, splitDir, label, depth + 1, recursive, [.. claimed, path], rng, expected);
                    break;
                case 11 when !IsRoot:                                               // an unreadable sub-folder
                    ByteNames.Folder(path);
                    ByteNames.File(Child(path, "0.png"u8.ToArray()), PngEncoder.Encode(RandomImage(rng)));
                    ByteNames.Chmod(path, 0);
                    lockedFolders.Add(path);
                    expected.Bad.Add(shown);
                    break;
                case 11:
                    ByteNames.Folder(path);
                    break;
            }
        }
    }

    static byte[] Child(byte[] folder, byte[] name) => [.. folder, (byte)'/', .. name];

    static RawImage RandomImage(Random rng)
    {
        int w = 1 + rng.Next(6), h = 1 + rng.Next(6), channels = rng.Next(2) == 0 ? 1 : 3;
        var pixels = new byte[w * h * channels];
        rng.NextBytes(pixels);
        return new RawImage(w, h, channels, pixels);
    }
}
