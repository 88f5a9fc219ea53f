using System.Globalization;
using System.Text;
using System.Text.Json;
using SelfSup.Engine;
using SelfSup.Engine.IO;
using SelfSup.Vision;
using SelfSup.Vision.Transforms;

namespace SelfSup.Training;

/// <summary>Backbone features of a split in dataset order: row i is image i, named <see cref="FileNames"/>[i].</summary>
public sealed record Embeddings(Tensor Features, int[] Labels, string[] FileNames)
{
    public int Count => Labels.Length;
}

/// <summary>
/// `selfsup embed`: runs a trained encoder over a split through the eval transform (<see cref="ViewParts.Eval"/>, the
/// preprocessing the export metadata records) and writes the features as safetensors ("embeddings" (N, F) F32,
/// "labels" (N) I64 with −1 when unlabelled, "indices" (N) I64; folder file names in the metadata) or as CSV in
/// lightly's embedding layout (<c>filenames,embedding_0,…,embedding_{F−1},labels</c>).
/// </summary>
public static class EmbeddingWriter
{
    /// <summary>Features of every image of <paramref name="data"/>, L2-normalised when <paramref name="normalize"/>,
    /// with a progress bar on stderr.</summary>
    public static Embeddings Compute(TrainedEncoder encoder, IImageDataset data, bool normalize, int loaderThreads = 2)
    {
        var eval = ViewParts.Eval(encoder.Spec.ImageSize, encoder.Spec.InChannels);
        var (features, labels) = Evaluation.Extract(encoder.Backbone, data, eval, loaderThreads, $"embed {data.Name}", normalize);
        return new Embeddings(features, labels, FileNames(data));
    }

    /// <summary>Image folders: each file's path below the split's root, with '/' separators; other data: the index.</summary>
    public static string[] FileNames(IImageDataset data) => data is FolderDataset folder
        ? [.. Enumerable.Range(0, folder.Count).Select(i => Path.GetRelativePath(folder.Root, folder.Path(i)).Replace('\\', '/'))]
        : [.. Enumerable.Range(0, data.Count).Select(i => i.ToString(CultureInfo.InvariantCulture))];

    /// <summary>Writes by <paramref name="path"/>'s extension (.safetensors or .csv), atomically.</summary>
    public static void Save(string path, Embeddings embeddings, IReadOnlyDictionary<string, string> metadata)
    {
        var extension = Path.GetExtension(path).ToLowerInvariant();
        if (extension == ".safetensors") SaveSafeTensors(path, embeddings, metadata);
        else if (extension == ".csv") SaveCsv(path, embeddings);
        else throw new ArgumentException($"{path}: the embeddings file must end in .safetensors or .csv");
    }

    /// <summary>"embeddings", "labels", "indices" tensors; <paramref name="metadata"/> plus the file names (image folders).</summary>
    public static void SaveSafeTensors(string path, Embeddings embeddings, IReadOnlyDictionary<string, string> metadata)
    {
        var state = new StateDict();
        state.Add("embeddings", embeddings.Features.Contiguous());                              // (N, F)
        state.Add("labels", new IntTensor((int[])embeddings.Labels.Clone(), [embeddings.Count]));  // (N)
        state.Add("indices", new IntTensor([.. Enumerable.Range(0, embeddings.Count)], [embeddings.Count]));
        foreach (var (k, v) in metadata) state.Metadata[k] = v;
        state.Metadata["count"] = embeddings.Count.ToString(CultureInfo.InvariantCulture);
        if (!embeddings.FileNames.Select((name, i) => name == i.ToString(CultureInfo.InvariantCulture)).All(same => same))
            state.Metadata["filenames"] = JsonSerializer.Serialize(embeddings.FileNames);
        AtomicFile.Write(path, stream => SafeTensors.Write(stream, state));
    }

    /// <summary>lightly's layout: a header row, then one row per image; floats in invariant, round-trip form.</summary>
    public static void SaveCsv(string path, Embeddings embeddings)
    {
        var features = embeddings.Features.Contiguous();
        int n = embeddings.Count, f = features.Shape[1];
        AtomicFile.Write(path, stream =>
        {
            using var w = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
            var header = new StringBuilder("filenames");
            for (int j = 0; j < f; j++) header.Append(",embedding_").Append(j);
            w.WriteLine(header.Append(",labels"));
            var values = features.Span;
            var row = new StringBuilder();
            for (int i = 0; i < n; i++)
            {
                row.Clear().Append(Quote(embeddings.FileNames[i]));
                for (int j = 0; j < f; j++) row.Append(',').Append(values[i * f + j].ToString("R", CultureInfo.InvariantCulture));
                w.WriteLine(row.Append(',').Append(embeddings.Labels[i]));
            }
        });
    }

    /// <summary>RFC 4180: a field holding a comma, quote or line break is quoted, with quotes doubled.</summary>
    static string Quote(string field) =>
        field.IndexOfAny([',', '"', '\n', '\r']) < 0 ? field : "\"" + field.Replace("\"", "\"\"") + "\"";
}
