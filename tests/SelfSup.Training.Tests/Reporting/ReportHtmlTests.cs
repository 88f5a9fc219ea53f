using System.Text.RegularExpressions;
using System.Xml.Linq;
using SelfSup.Engine;
using SelfSup.Vision;
using Xunit;

namespace SelfSup.Training.Tests;

public class ReportHtmlTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("selfsup-report-").FullName;
    public void Dispose() => Directory.Delete(root, recursive: true);

    /// <summary>A report with every part filled in: three epochs, per-step points, a grid PNG and an embedding map.</summary>
    internal static ReportContent Sample()
    {
        var epochs = new List<EpochRow>
        {
            new(1, 10, 5.1, 0.06, 0.52, 0.91, 812, 3.1, 0.05, 0.9, -2.1), new(2, 20, 4.6, 0.03, null, null, 840, 3.0, 0.07, 0.6, -3.0),
            new(3, 30, 4.2, 0.001, 0.71, 0.97, 830, 3.0, 0.08, 0.5, -3.4),
        };
        var steps = Enumerable.Range(1, 30).Select(s => new StepPoint(s, 5.5 - s * 0.04, 0.06 * Math.Cos(s / 30.0 * Math.PI / 2))).ToList();
        var png = PngEncoder.Encode(new RawImage(2, 2, 3, [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255]));
        var rng = new Generator(3);
        var features = Tensor.From([.. Enumerable.Range(0, 60 * 4).Select(_ => (float)rng.NextNormal())], 60, 4);
        var embedding = EmbeddingMap.Render(features, [.. Enumerable.Range(0, 60).Select(i => i % 3)], ["shirt", "bag", "boot"]);
        return new ReportContent("SelfSup run: mocov2 on test<data>", [("method", "mocov2"), ("lr", "0.06")], epochs, steps,
            png, "3 queries", embedding, "3 epochs done");
    }

    [Fact]
    public void Report_is_one_self_contained_page_with_six_charts_grid_map_and_configuration()
    {
        var html = ReportHtml.Render(Sample());
        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.Contains("<title>SelfSup run: mocov2 on test&lt;data&gt;</title>", html);
        Assert.Equal(6, Regex.Count(html, "<svg class=\"chart\""));               // loss, lr, kNN, spread, alignment/uniformity, speed
        Assert.Contains("Embedding spread (collapse at 0)", html);
        Assert.Equal(1, Regex.Count(html, "<svg class=\"embedding\""));
        Assert.Contains("src=\"data:image/png;base64,iVBORw0KGgo", html);           // the PNG signature, base64
        Assert.Contains("<tr><th>method</th><td>mocov2</td></tr>", html);
        Assert.Contains("<td>52.00%</td>", html);                                   // epoch 1's kNN top-1 in the table
        Assert.DoesNotContain("<script", html);
        Assert.DoesNotMatch(new Regex("(src|href)=\"(https?:)?//"), html);         // nothing fetched from the network
        foreach (Match m in Regex.Matches(html, "<svg.*?</svg>", RegexOptions.Singleline)) XDocument.Parse(m.Value);
    }

    [Fact]
    public void A_report_before_any_kNN_says_what_is_missing()
    {
        var html = ReportHtml.Render(new ReportContent("run", [], [], []));
        Assert.Equal(6, Regex.Count(html, "<svg class=\"chart\""));
        Assert.Equal(6, Regex.Count(html, "no data yet"));
        Assert.Equal(2, Regex.Count(html, "Not yet: drawn when the kNN monitor runs"));
    }

    [Fact]
    public void kNN_chart_skips_epochs_without_a_measurement()
    {
        var html = ReportHtml.Render(Sample());
        var knn = Regex.Match(html, "<svg class=\"chart\"[^>]*><title>kNN accuracy.*?</svg>", RegexOptions.Singleline).Value;
        var top1 = Regex.Match(knn, "<polyline[^>]*stroke=\"#31a354\"[^>]*points=\"([^\"]*)\"").Groups[1].Value.Trim().Split(' ');
        Assert.Equal(2, top1.Length);                                               // epochs 1 and 3
    }

    [Fact]
    public void Metrics_written_by_MetricsCsv_read_back()
    {
        var path = Path.Combine(root, "metrics.csv");
        var csv = new MetricsCsv(path);
        csv.Append(1, 16, 4.25, 0.06, 0.5, 0.875, 900, 2.5);
        csv.Append(2, 32, 4.0, 0.03, null, null, 950, 2.4);
        var rows = ReportHtml.ReadMetrics(path);
        Assert.Equal(new EpochRow(1, 16, 4.25, 0.06, 0.5, 0.875, 900, 2.5), rows[0]);
        Assert.Equal(new EpochRow(2, 32, 4.0, 0.03, null, null, 950, 2.4), rows[1]);
        Assert.Empty(ReportHtml.ReadMetrics(Path.Combine(root, "absent.csv")));
    }

    [Fact]
    public void Rows_after_a_resume_point_are_dropped_so_a_resumed_epoch_is_not_listed_twice()
    {
        var path = Path.Combine(root, "resumed.csv");
        var csv = new MetricsCsv(path);
        csv.Append(1, 16, 4.25, 0.06, null, null, 900, 2.5);
        csv.Append(2, 32, 4.0, 0.03, null, null, 950, 2.4);                 // written, but its checkpoint was lost
        csv.DropRowsAfter(24);                                               // resumed mid-epoch 2, from step 24
        csv.Append(2, 32, 3.9, 0.03, null, null, 940, 2.6);
        var rows = ReportHtml.ReadMetrics(path);
        Assert.Equal([1, 2], rows.Select(r => r.Epoch));
        Assert.Equal(3.9, rows[1].Loss);
        csv.DropRowsAfter(0);                                                // a fresh run keeps only the header
        Assert.Equal([MetricsCsv.Header], File.ReadAllLines(path));
    }

    [Fact]
    public void Long_step_series_are_averaged_into_buckets()
    {
        var steps = Enumerable.Range(0, 10).Select(i => new StepPoint(i, i, 2 * i)).ToList();
        var d = ReportHtml.Downsample(steps, 4);                                    // buckets [0,2) [2,5) [5,7) [7,10)
        Assert.Equal([1L, 4, 6, 9], d.Select(p => p.Step));
        Assert.Equal([0.5, 3, 5.5, 8], d.Select(p => p.Loss));
        Assert.Equal([1.0, 6, 11, 16], d.Select(p => p.Lr));
        Assert.Same(steps, ReportHtml.Downsample(steps, 10));
    }

    [Fact]
    public void Embedding_map_draws_each_sampled_point_and_a_legend_entry_per_class()
    {
        var rng = new Generator(1);
        var features = Tensor.From([.. Enumerable.Range(0, 50 * 8).Select(_ => (float)rng.NextNormal())], 50, 8);
        var svg = EmbeddingMap.Render(features, [.. Enumerable.Range(0, 50).Select(i => i / 10)], ["a", "b", "c", "d", "e"], maxPoints: 20);   // rows 0, 2, 5, 7, 10, …
        XNamespace ns = "http://www.w3.org/2000/svg";
        var circles = XDocument.Parse(svg).Descendants(ns + "circle").ToList();
        Assert.Equal(20 + 5, circles.Count);                                        // 20 points + 5 legend dots
        Assert.Equal(4 + 1, circles.Count(c => c.Attribute("fill")!.Value == EmbeddingMap.ColorOf(2)));
        Assert.Contains(">c</text>", svg);
        Assert.Contains("20 of 50 points", svg);
        Assert.Equal([0, 2, 5, 7], EmbeddingMap.Sample(10, 4));
    }
}
