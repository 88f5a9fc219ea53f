using SelfSup.Engine.IO;
using System.Globalization;
using System.Text;

namespace SelfSup.Training;

/// <summary>One metrics.csv row: what an epoch ended with.</summary>
public sealed record EpochRow(int Epoch, long Step, double Loss, double Lr, double? KnnTop1, double? KnnTop5, double ImgPerSecond, double Seconds,
    double? EmbeddingStd = null, double? Alignment = null, double? Uniformity = null);

/// <summary>One training step's loss and learning rate; Step is the 0-based step index (TensorBoard's step), the charts
/// draw it at Step + 1, the number of steps done, as metrics.csv counts them.</summary>
public readonly record struct StepPoint(long Step, double Loss, double Lr);

/// <summary>What report.html shows. Null parts (no kNN features yet) are left out with a note.</summary>
public sealed record ReportContent(
    string Title, IReadOnlyList<(string Key, string Value)> Config, IReadOnlyList<EpochRow> Epochs, IReadOnlyList<StepPoint> Steps,
    byte[]? NeighbourPng = null, string? NeighbourCaption = null, string? EmbeddingSvg = null, string? Status = null);

/// <summary>
/// A run's report.html: one self-contained page (inline CSS and SVG, the neighbour grid as a data: URI, no scripts) that
/// opens offline. Curves of loss, lr, kNN accuracy and throughput; the configuration; the neighbour grid; the embedding map.
/// </summary>
public static class ReportHtml
{
    /// <summary>Per-step series longer than this are averaged into this many buckets (keeps the page small).</summary>
    public const int MaxStepPoints = 1500;

    const string Css = """
        body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1180px;color:#222;background:#fff}
        h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
        .status{color:#555}.charts,.figures{display:flex;flex-wrap:wrap;gap:12px}
        .figures section{flex:0 1 auto;max-width:600px}.caption{max-width:560px;margin:4px 0 8px}
        svg text{font:11px system-ui,sans-serif;fill:#333}svg .chart-title{font-size:13px;font-weight:600}
        svg .grid{stroke:#e5e5e5}svg .axis{stroke:#444}svg .empty,svg .note{fill:#888}
        table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:3px 10px;text-align:left;font-variant-numeric:tabular-nums}
        th{background:#f4f4f4}img.grid{image-rendering:pixelated;max-width:100%;border:1px solid #ddd}
        """;

    public static string Render(ReportContent c)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
        html.Append(CultureInfo.InvariantCulture, $"<title>{SvgChart.Esc(c.Title)}</title><style>{Css}</style></head><body>\n");
        html.Append(CultureInfo.InvariantCulture, $"<h1>{SvgChart.Esc(c.Title)}</h1>\n");
        if (c.Status is { } status) html.Append(CultureInfo.InvariantCulture, $"<p class=\"status\">{SvgChart.Esc(status)}</p>\n");

        html.Append("<h2>Curves</h2>\n<div class=\"charts\">\n");
        var steps = Downsample(c.Steps, MaxStepPoints);
        var epochEnds = c.Epochs.Select(e => (X: (double)e.Step, e)).ToList();
        html.Append(SvgChart.Render("Training loss", "steps done", "loss",
        [
            new("per step", "#9ecae1", [.. steps.Select(s => (s.Step + 1.0, s.Loss))]),
            new("epoch mean", "#08519c", [.. epochEnds.Select(p => (p.X, p.e.Loss))]),
        ])).Append('\n');
        html.Append(SvgChart.Render("Learning rate", "steps done", "lr",
            [steps.Count > 0 ? new ChartSeries("lr", "#e6550d", [.. steps.Select(s => (s.Step + 1.0, s.Lr))])
                             : new ChartSeries("lr", "#e6550d", [.. epochEnds.Select(p => (p.X, p.e.Lr))])])).Append('\n');
        html.Append(SvgChart.Render("kNN accuracy (test)", "epoch", "accuracy %",
        [
            new("top-1", "#31a354", [.. c.Epochs.Where(e => e.KnnTop1 is not null).Select(e => ((double)e.Epoch, 100 * e.KnnTop1!.Value))]),
            new("top-5", "#a1d99b", [.. c.Epochs.Where(e => e.KnnTop5 is not null).Select(e => ((double)e.Epoch, 100 * e.KnnTop5!.Value))]),
        ], integerX: true)).Append('\n');
        html.Append(SvgChart.Render("Embedding spread (collapse at 0)", "epoch", "std of unit features",
            [new("std", "#de2d26", [.. c.Epochs.Where(e => e.EmbeddingStd is not null).Select(e => ((double)e.Epoch, e.EmbeddingStd!.Value))])],
            integerX: true)).Append('\n');
        html.Append(SvgChart.Render("Alignment and uniformity (lower is better)", "epoch", "",
        [
            new("alignment", "#3182bd", [.. c.Epochs.Where(e => e.Alignment is not null).Select(e => ((double)e.Epoch, e.Alignment!.Value))]),
            new("uniformity", "#fd8d3c", [.. c.Epochs.Where(e => e.Uniformity is not null).Select(e => ((double)e.Epoch, e.Uniformity!.Value))]),
        ], integerX: true)).Append('\n');
        html.Append(SvgChart.Render("Throughput", "epoch", "images / s",
            [new("img/s", "#756bb1", [.. c.Epochs.Select(e => ((double)e.Epoch, e.ImgPerSecond))])], integerX: true)).Append('\n');
        html.Append("</div>\n");

        html.Append("<div class=\"figures\">\n<section>\n<h2>Nearest neighbours (test queries → training images)</h2>\n");
        if (c.NeighbourPng is { } png)
        {
            html.Append(CultureInfo.InvariantCulture, $"<p class=\"caption\">{SvgChart.Esc(c.NeighbourCaption ?? "")}</p>");
            html.Append(CultureInfo.InvariantCulture, $"<img class=\"grid\" alt=\"nearest-neighbour grid\" src=\"data:image/png;base64,{Convert.ToBase64String(png)}\">\n");
        }
        else html.Append("<p class=\"status\">Not yet: drawn when the kNN monitor runs on labelled test data.</p>\n");
        html.Append("</section>\n<section>\n<h2>Test embeddings (PCA of L2-normalised features)</h2>\n");
        html.Append(c.EmbeddingSvg ?? "<p class=\"status\">Not yet: drawn when the kNN monitor runs on labelled test data.</p>").Append('\n');
        html.Append("</section>\n</div>\n");

        if (c.Epochs.Count > 0)
        {
            html.Append("<h2>Epochs</h2>\n<table><tr><th>epoch</th><th>step</th><th>loss</th><th>lr</th><th>kNN top-1</th><th>kNN top-5</th><th>img/s</th><th>seconds</th></tr>\n");
            foreach (var e in c.Epochs)
                html.Append(CultureInfo.InvariantCulture,
                    $"<tr><td>{e.Epoch}</td><td>{e.Step}</td><td>{e.Loss:F4}</td><td>{e.Lr:G3}</td><td>{Percent(e.KnnTop1)}</td><td>{Percent(e.KnnTop5)}</td><td>{e.ImgPerSecond:F0}</td><td>{e.Seconds:F1}</td></tr>\n");
            html.Append("</table>\n");
        }

        html.Append("<h2>Configuration</h2>\n<table>\n");
        foreach (var (key, value) in c.Config)
            html.Append(CultureInfo.InvariantCulture, $"<tr><th>{SvgChart.Esc(key)}</th><td>{SvgChart.Esc(value)}</td></tr>\n");
        html.Append("</table>\n</body></html>\n");
        return html.ToString();
    }

    static string Percent(double? v) => v is double d ? (100 * d).ToString("F2", CultureInfo.InvariantCulture) + "%" : "";

    /// <summary>At most <paramref name="max"/> points: consecutive steps averaged in equal buckets (the last step kept exact).</summary>
    public static IReadOnlyList<StepPoint> Downsample(IReadOnlyList<StepPoint> steps, int max)
    {
        if (steps.Count <= max) return steps;
        var result = new List<StepPoint>(max);
        for (int b = 0; b < max; b++)
        {
            int from = (int)((long)b * steps.Count / max), to = (int)((long)(b + 1) * steps.Count / max);
            double loss = 0, lr = 0;
            for (int i = from; i < to; i++) { loss += steps[i].Loss; lr += steps[i].Lr; }
            result.Add(new StepPoint(steps[to - 1].Step, loss / (to - from), lr / (to - from)));
        }
        return result;
    }

    /// <summary>Writes the page atomically (temporary file, then rename), so a reader never sees half a report.</summary>
    public static void Write(string path, ReportContent content)
    {
        AtomicFile.WriteAllText(path, Render(content));
    }

    /// <summary>The rows of a metrics.csv (columns found by header name); empty when the file does not exist.</summary>
    public static IReadOnlyList<EpochRow> ReadMetrics(string path)
    {
        if (!File.Exists(path)) return [];
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0) return [];
        var header = lines[0].Split(',');
        int Col(string name) => Array.IndexOf(header, name);
        int epoch = Col("epoch"), step = Col("step"), loss = Col("loss"), lr = Col("lr"), top1 = Col("knn_top1"), top5 = Col("knn_top5"),
            speed = Col("img_per_s"), seconds = Col("seconds"), std = Col("embedding_std"), alignment = Col("alignment"),
            uniformity = Col("uniformity");
        if (epoch < 0 || step < 0 || loss < 0) throw new InvalidDataException($"{path}: not a metrics.csv (header '{lines[0]}')");
        var rows = new List<EpochRow>();
        foreach (var line in lines.Skip(1).Where(l => l.Length > 0))
        {
            var f = line.Split(',');
            double? Num(int i) => i >= 0 && i < f.Length && double.TryParse(f[i], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : null;
            rows.Add(new EpochRow((int)(Num(epoch) ?? 0), (long)(Num(step) ?? 0), Num(loss) ?? double.NaN, Num(lr) ?? double.NaN,
                Num(top1), Num(top5), Num(speed) ?? double.NaN, Num(seconds) ?? double.NaN, Num(std), Num(alignment), Num(uniformity)));
        }
        return rows;
    }
}
