using System.Globalization;
using System.Text.Json;
using SelfSup.Vision;

namespace SelfSup.Training;

/// <summary>
/// Everything a run folder gets besides checkpoints and metrics.csv: a TensorBoard event file (per-step loss and lr,
/// per-epoch loss, kNN accuracy and throughput) and report.html, rewritten after every epoch so that a killed run still
/// has one. The trainer calls <see cref="Step"/>, hands the kNN monitor's features to <see cref="Features"/> and calls
/// <see cref="Epoch"/> after each metrics.csv row.
/// </summary>
public sealed class RunReporter : IDisposable
{
    /// <summary>Query images (first of each class) and neighbours per query in the report's grid.</summary>
    public const int GridQueries = 8, GridNeighbours = 8;

    readonly string runDir;
    readonly TextWriter log;
    readonly TfEventWriter events;
    readonly List<StepPoint> steps = [];
    readonly IReadOnlyList<(string, string)> config;
    readonly string title;
    byte[]? grid; string? gridCaption; string? embedding;

    public RunReporter(string runDir, Recipe recipe, TextWriter log)
    {
        this.runDir = runDir;
        this.log = log;
        events = new TfEventWriter(runDir);
        title = $"SelfSup run: {recipe.Options.Method} on {recipe.Train.Name}";
        config = Configuration(recipe);
    }

    /// <summary>The event file being written.</summary>
    public string EventFile => events.Path;

    /// <summary>Records one optimiser step (TensorBoard tags train/loss and train/lr).</summary>
    public void Step(long step, double loss, double lr)
    {
        steps.Add(new StepPoint(step, loss, lr));
        events.Scalars(step, [("train/loss", loss), ("train/lr", lr)]);
    }

    /// <summary>Draws the neighbour grid and the embedding map from the kNN monitor's features (no second extraction).</summary>
    public void Features(KnnFeatures f)
    {
        try
        {
            var rows = NeighbourGrid.Search(f, GridQueries, GridNeighbours);
            if (rows.Count > 0)
            {
                grid = PngEncoder.Encode(NeighbourGrid.Render(rows, f.Test, f.Train, cell: 48));
                int matches = rows.Sum(r => r.NeighbourLabels.Count(l => l == r.QueryLabel && l >= 0));
                gridCaption = $"{rows.Count} queries (first test image of each class, blue) and their {rows[0].Neighbours.Length} most " +
                              $"cosine-similar training images; green: same label ({matches} of {rows.Sum(r => r.Neighbours.Length)}), red: different.";
            }
            embedding = EmbeddingMap.Render(f.TestFeatures, f.TestLabels, f.Test.ClassNames);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            log.WriteLine($"report: could not draw the neighbour grid or embedding map: {e.Message}");
        }
    }

    /// <summary>Records an epoch's summary (tags epoch/*, at the epoch's last step), flushes the events, rewrites report.html.</summary>
    public void Epoch(int epoch, long step, double loss, double lr, double? knnTop1, double? knnTop5, double imgPerSecond,
        EmbeddingHealth? health = null)
    {
        var values = new List<(string, double)> { ("epoch/loss", loss), ("epoch/img_per_s", imgPerSecond), ("epoch/epoch", epoch) };
        if (knnTop1 is double t1) values.Add(("epoch/knn_top1", t1));
        if (knnTop5 is double t5) values.Add(("epoch/knn_top5", t5));
        if (health is not null)
        {
            values.Add(("epoch/embedding_std", health.Std));
            values.Add(("epoch/uniformity", health.Uniformity));
            if (health.Alignment is double a) values.Add(("epoch/alignment", a));
        }
        events.Scalars(step, values);
        events.Flush();
        WriteReport($"{epoch} epoch{(epoch == 1 ? "" : "s")} done; written {DateTime.Now:yyyy-MM-dd HH:mm:ss}.");
    }

    /// <summary>Rewrites report.html from metrics.csv and what this process has seen; a failure is logged, never thrown.</summary>
    public void WriteReport(string status)
    {
        try
        {
            var epochs = ReportHtml.ReadMetrics(Path.Combine(runDir, "metrics.csv"));
            ReportHtml.Write(Path.Combine(runDir, "report.html"),
                new ReportContent(title, config, epochs, steps, grid, gridCaption, embedding, status));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            log.WriteLine($"report: could not write {Path.Combine(runDir, "report.html")}: {e.Message}");
        }
    }

    /// <summary>The options as given, what the recipe resolved, and the method's options (nested records flattened a.b).</summary>
    static IReadOnlyList<(string, string)> Configuration(Recipe r)
    {
        var rows = new List<(string, string)>();
        Flatten("", JsonSerializer.SerializeToElement(r.Options), rows);
        rows.Add(("resolved.train_images", r.Train.Count.ToString(CultureInfo.InvariantCulture)));
        rows.Add(("resolved.image_size", $"{r.ImageSize} px, {r.Channels} channel{(r.Channels == 1 ? "" : "s")}"));
        rows.Add(("resolved.preset", r.PresetName));
        rows.Add(("resolved.epochs", r.Epochs.ToString(CultureInfo.InvariantCulture)));
        rows.Add(("resolved.batch_size", r.BatchSize.ToString(CultureInfo.InvariantCulture)));
        rows.Add(("resolved.lr", r.Lr.ToString("G4", CultureInfo.InvariantCulture)));
        try { Flatten("method.", JsonSerializer.SerializeToElement(r.MethodOptions, r.MethodOptions.GetType()), rows); }
        catch (NotSupportedException) { rows.Add(("method", r.MethodOptions.ToString())); }
        return rows;
    }

    static void Flatten(string prefix, JsonElement e, List<(string, string)> rows)
    {
        if (e.ValueKind == JsonValueKind.Object)
            foreach (var p in e.EnumerateObject()) Flatten(prefix + p.Name + (p.Value.ValueKind == JsonValueKind.Object ? "." : ""), p.Value, rows);
        else rows.Add((prefix.TrimEnd('.'), e.ValueKind == JsonValueKind.Null ? "(default)" : e.ToString()));
    }

    public void Dispose()
    {
        events.Flush();
        events.Dispose();
    }
}
