using System.Globalization;
using System.Text;
using SelfSup.Engine;

namespace SelfSup.Training;

/// <summary>
/// A 2-D map of embeddings as an inline SVG scatter: the L2-normalised features projected on their first two principal
/// components (<see cref="Pca"/>), one colour per class, with a legend. At most <c>maxPoints</c> rows, evenly spaced
/// through the split, are drawn.
/// </summary>
public static class EmbeddingMap
{
    /// <summary>matplotlib's tab10, then tab10's light tones for classes 10–19; beyond that the hue wheel.</summary>
    static readonly string[] Palette =
    [
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
        "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5",
    ];

    public static string ColorOf(int label) => label < 0 ? "#555555"
        : label < Palette.Length ? Palette[label] : string.Create(CultureInfo.InvariantCulture, $"hsl({label * 137 % 360},65%,45%)");

    /// <summary>The rows drawn: all when there are at most <paramref name="maxPoints"/>, else evenly spaced ones.</summary>
    public static int[] Sample(int count, int maxPoints) => count <= maxPoints
        ? [.. Enumerable.Range(0, count)]
        : [.. Enumerable.Range(0, maxPoints).Select(i => (int)((long)i * count / maxPoints))];

    /// <param name="features">(N, D) embeddings; rows are L2-normalised here (again) before the PCA.</param>
    /// <param name="labels">N class indices (−1: unlabelled).</param>
    /// <param name="classNames">Names for the legend, by class index (may be empty).</param>
    public static string Render(Tensor features, int[] labels, IReadOnlyList<string> classNames, int maxPoints = 2000)
    {
        int n = features.Shape[0], dim = features.Shape[1];
        if (labels.Length != n) throw new ArgumentException("embedding map: features and labels differ in count");
        var rows = Sample(n, maxPoints);
        var all = features.ToArray();
        var picked = new float[rows.Length * dim];
        for (int i = 0; i < rows.Length; i++)
        {
            var src = all.AsSpan(rows[i] * dim, dim);
            double norm = 0;
            foreach (var v in src) norm += (double)v * v;
            float scale = norm > 0 ? (float)(1 / Math.Sqrt(norm)) : 0f;
            for (int d = 0; d < dim; d++) picked[i * dim + d] = src[d] * scale;
        }
        var pca = Pca.Fit(picked, dim, components: 2);
        return Svg(pca, [.. rows.Select(r => labels[r])], classNames, rows.Length, n);
    }

    static string Svg(PcaResult pca, int[] labels, IReadOnlyList<string> classNames, int shown, int count)
    {
        const int Size = 440, Pad = 20, LegendWidth = 150;
        var xs = pca.Projected.Select(p => p[0]).ToArray();
        var ys = pca.Projected.Select(p => p.Length > 1 ? p[1] : 0).ToArray();
        double span = Math.Max(Math.Max(xs.Max() - xs.Min(), ys.Max() - ys.Min()), 1e-12);   // same scale on both axes
        double cx = (xs.Max() + xs.Min()) / 2, cy = (ys.Max() + ys.Min()) / 2, scale = (Size - 2 * Pad) / span;
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture,
            $"<svg class=\"embedding\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{Size + LegendWidth}\" height=\"{Size}\" viewBox=\"0 0 {Size + LegendWidth} {Size}\" role=\"img\">");
        svg.Append("<title>Test embeddings, first two principal components</title>");
        svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"0.5\" y=\"0.5\" width=\"{Size - 1}\" height=\"{Size - 1}\" fill=\"none\" stroke=\"#ccc\"/>");
        for (int i = 0; i < labels.Length; i++)
            svg.Append(CultureInfo.InvariantCulture,
                $"<circle cx=\"{Size / 2 + (xs[i] - cx) * scale:F1}\" cy=\"{Size / 2 - (ys[i] - cy) * scale:F1}\" r=\"2.2\" fill=\"{ColorOf(labels[i])}\" fill-opacity=\"0.75\"/>");
        var classes = labels.Distinct().Order().ToArray();
        for (int j = 0; j < classes.Length; j++)
        {
            int c = classes[j];
            string name = c < 0 ? "unlabelled" : c < classNames.Count ? classNames[c] : $"class {c}";
            double y = Pad + j * 20;
            svg.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{Size + 16}\" cy=\"{y:F1}\" r=\"5\" fill=\"{ColorOf(c)}\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Size + 28}\" y=\"{y + 4:F1}\">{SvgChart.Esc(name)}</text>");
        }
        double Share(int c) => c < pca.Variances.Length && pca.TotalVariance > 0 ? pca.Variances[c] / pca.TotalVariance : 0;
        string[] notes = [FormattableString.Invariant($"{shown} of {count} points"), FormattableString.Invariant($"PC1: {100 * Share(0):F0}% of variance"),
            FormattableString.Invariant($"PC2: {100 * Share(1):F0}%")];
        for (int j = 0; j < notes.Length; j++)
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Size + 8}\" y=\"{Size - 12 - 16 * (notes.Length - 1 - j)}\" class=\"note\">{notes[j]}</text>");
        svg.Append("</svg>");
        return svg.ToString();
    }
}
