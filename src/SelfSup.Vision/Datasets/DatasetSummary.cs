using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;

namespace SelfSup.Vision;

/// <summary>An image size seen in a split, and how many images have it.</summary>
public sealed record SizeCount(int Width, int Height, int Channels, int Count);

/// <summary>A class of a split, and how many readable images it has.</summary>
public sealed record ClassCount(string Name, int Count);

/// <summary>
/// What <c>selfsup data inspect</c> reports for one split: readable images, classes with counts, image sizes
/// seen and bad files. Folder splits are decoded in full (that is how bad files are found); in-memory splits are
/// read from their labels.
/// </summary>
public sealed record DatasetSummary(string Name, int Images, bool Labelled, IReadOnlyList<ClassCount> Classes,
    IReadOnlyList<SizeCount> Sizes, IReadOnlyList<BadFile> BadFiles)
{
    public static DatasetSummary Of(IImageDataset data, int threads = 2)
    {
        var labelCounts = new int[data.ClassNames.Count];
        var sizes = new ConcurrentDictionary<(int W, int H, int C), int>();
        int readable = 0;
        if (data is InMemoryDataset memory)
        {
            sizes[(memory.Width, memory.Height, memory.Channels)] = memory.Count;
            for (int i = 0; i < memory.Count; i++) Count(i);
            readable = memory.Count;
        }
        else
        {
            var folder = data as FolderDataset;
            Parallel.For(0, data.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) }, i =>
            {
                RawImage? image;
                if (folder is not null) { if (!folder.TryLoad(i, out image, out _)) return; }
                else image = data.Image(i);
                sizes.AddOrUpdate((image!.Width, image.Height, image.Channels), 1, (_, n) => n + 1);
                Interlocked.Increment(ref readable);
                lock (labelCounts) Count(i);
            });
            if (folder?.Policy == BadFilePolicy.Fail && folder.BadFiles.FirstOrDefault(b => !b.Reason.EndsWith("(ignored)")) is { } first)
                throw new InvalidDataException(first.Reason);
        }
        return new DatasetSummary(data.Name, readable, data.ClassNames.Count > 0,
            data.ClassNames.Select((n, c) => new ClassCount(n, labelCounts[c])).ToArray(),
            sizes.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key)
                .Select(kv => new SizeCount(kv.Key.W, kv.Key.H, kv.Key.C, kv.Value)).ToArray(),
            (data as FolderDataset)?.BadFiles ?? []);

        void Count(int i)
        {
            int label = data.Label(i);
            if (label >= 0) labelCounts[label]++;
        }
    }

    /// <summary>A human-readable report of the splits of <paramref name="spec"/>.</summary>
    public static string Text(string spec, IReadOnlyList<DatasetSummary> splits)
    {
        var s = new StringBuilder($"data: {spec}\n");
        foreach (var split in splits)
        {
            s.Append($"\n{split.Name}: {split.Images} image{(split.Images == 1 ? "" : "s")}, ");
            s.Append(split.Labelled ? $"{split.Classes.Count} classes\n" : "unlabelled\n");
            int width = split.Classes.Select(c => c.Name.Length).DefaultIfEmpty(0).Max();
            for (int c = 0; c < split.Classes.Count; c++)
                s.Append($"  {c,3}  {split.Classes[c].Name.PadRight(width)}  {split.Classes[c].Count}\n");
            s.Append("  sizes: ").AppendJoin(", ", split.Sizes.Select(z => $"{z.Width}×{z.Height}×{z.Channels} ({z.Count})")).Append('\n');
            s.Append($"  bad files: {split.BadFiles.Count}\n");
            foreach (var b in split.BadFiles) s.Append($"    {b.Reason}\n");
        }
        return s.ToString();
    }

    /// <summary>One JSON object: <c>{"spec":…,"splits":[{"name","images","labelled","classes":[{"name","count"}],
    /// "sizes":[{"width","height","channels","count"}],"bad_files":[{"path","reason"}]}]}</c>.</summary>
    public static string Json(string spec, IReadOnlyList<DatasetSummary> splits)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("spec", spec);
            w.WriteStartArray("splits");
            foreach (var split in splits)
            {
                w.WriteStartObject();
                w.WriteString("name", split.Name);
                w.WriteNumber("images", split.Images);
                w.WriteBoolean("labelled", split.Labelled);
                w.WriteStartArray("classes");
                foreach (var c in split.Classes) { w.WriteStartObject(); w.WriteString("name", c.Name); w.WriteNumber("count", c.Count); w.WriteEndObject(); }
                w.WriteEndArray();
                w.WriteStartArray("sizes");
                foreach (var z in split.Sizes)
                {
                    w.WriteStartObject();
                    w.WriteNumber("width", z.Width); w.WriteNumber("height", z.Height);
                    w.WriteNumber("channels", z.Channels); w.WriteNumber("count", z.Count);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteStartArray("bad_files");
                foreach (var b in split.BadFiles) { w.WriteStartObject(); w.WriteString("path", b.Path); w.WriteString("reason", b.Reason); w.WriteEndObject(); }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
