using System.Globalization;
using System.Net;
using System.Text;

namespace SelfSup.Training;

/// <summary>One line of a chart: a name for the legend, a CSS colour and (x, y) points in x order.</summary>
public sealed record ChartSeries(string Name, string Color, IReadOnlyList<(double X, double Y)> Points);

/// <summary>
/// A line chart as an inline SVG element: axes with "nice" ticks (1, 2, 5 × 10ⁿ), tick labels, axis labels, a title and
/// a legend. Non-finite points are skipped; a series of one point is drawn as a dot.
/// </summary>
public static class SvgChart
{
    const int Width = 560, Height = 300, Left = 64, Right = 16, Top = 34, Bottom = 46;

    /// <param name="integerX">Ticks on whole numbers only (an epoch axis).</param>
    public static string Render(string title, string xLabel, string yLabel, IReadOnlyList<ChartSeries> series, bool integerX = false)
    {
        var points = series.SelectMany(s => s.Points).Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToList();
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture,
            $"<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" role=\"img\">");
        svg.Append(CultureInfo.InvariantCulture, $"<title>{Esc(title)}</title>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Width / 2}\" y=\"18\" text-anchor=\"middle\" class=\"chart-title\">{Esc(title)}</text>");
        if (points.Count == 0)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Width / 2}\" y=\"{Height / 2}\" text-anchor=\"middle\" class=\"empty\">no data yet</text></svg>");
            return svg.ToString();
        }
        var (x0, x1, xTicks) = Axis(points.Min(p => p.X), points.Max(p => p.X), integerX);
        var (y0, y1, yTicks) = Axis(points.Min(p => p.Y), points.Max(p => p.Y));
        double plotW = Width - Left - Right, plotH = Height - Top - Bottom;
        double Px(double x) => Left + (x - x0) / (x1 - x0) * plotW;
        double Py(double y) => Top + plotH - (y - y0) / (y1 - y0) * plotH;

        foreach (var t in yTicks)
        {
            svg.Append(Line(Left, Py(t), Width - Right, Py(t), "grid"));
            svg.Append(Text(Left - 6, Py(t) + 4, Tick(t, yTicks), "end"));
        }
        foreach (var t in xTicks)
        {
            svg.Append(Line(Px(t), Top + plotH, Px(t), Top + plotH + 5, "axis"));
            svg.Append(Text(Px(t), Top + plotH + 18, Tick(t, xTicks), "middle"));
        }
        svg.Append(Line(Left, Top, Left, Top + plotH, "axis"));
        svg.Append(Line(Left, Top + plotH, Width - Right, Top + plotH, "axis"));
        svg.Append(Text(Left + plotW / 2, Height - 8, xLabel, "middle"));
        svg.Append(CultureInfo.InvariantCulture,
            $"<text x=\"14\" y=\"{Top + plotH / 2:F1}\" text-anchor=\"middle\" transform=\"rotate(-90 14 {Top + plotH / 2:F1})\">{Esc(yLabel)}</text>");

        double legendX = Left + 10;
        foreach (var s in series)
        {
            var ps = s.Points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToList();
            if (ps.Count == 1)
                svg.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{Px(ps[0].X):F1}\" cy=\"{Py(ps[0].Y):F1}\" r=\"3.5\" fill=\"{s.Color}\"/>");
            else if (ps.Count > 1)
            {
                svg.Append(CultureInfo.InvariantCulture, $"<polyline class=\"series\" fill=\"none\" stroke=\"{s.Color}\" stroke-width=\"1.6\" points=\"");
                foreach (var p in ps) svg.Append(CultureInfo.InvariantCulture, $"{Px(p.X):F1},{Py(p.Y):F1} ");
                svg.Append("\"/>");
                if (ps.Count <= 40)
                    foreach (var p in ps) svg.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{Px(p.X):F1}\" cy=\"{Py(p.Y):F1}\" r=\"2.5\" fill=\"{s.Color}\"/>");
            }
            if (series.Count > 1)
            {
                svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{legendX:F1}\" y=\"{Top + 4}\" width=\"12\" height=\"3\" fill=\"{s.Color}\"/>");
                svg.Append(Text(legendX + 16, Top + 9, s.Name, "start"));
                legendX += 26 + 7 * s.Name.Length;
            }
        }
        svg.Append("</svg>");
        return svg.ToString();
    }

    /// <summary>An axis range widened to whole ticks, and the ticks: about five, spaced 1, 2 or 5 × 10ⁿ.</summary>
    public static (double Min, double Max, double[] Ticks) Axis(double min, double max, bool integers = false)
    {
        if (max - min < 1e-12 * Math.Max(1, Math.Abs(max))) { double pad = min == 0 ? 1 : Math.Abs(min) * 0.1; min -= pad; max += pad; }
        double raw = (max - min) / 5, magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double step = new[] { 1.0, 2, 5, 10 }.Select(m => m * magnitude).First(s => s >= raw * 0.999);
        if (integers) step = Math.Max(step, 1);
        double lo = Math.Floor(min / step + 1e-9) * step, hi = Math.Ceiling(max / step - 1e-9) * step;
        int count = (int)Math.Round((hi - lo) / step) + 1;
        return (lo, hi, Enumerable.Range(0, count).Select(i => lo + i * step).ToArray());
    }

    static string Tick(double value, double[] ticks)
    {
        double step = ticks.Length > 1 ? ticks[1] - ticks[0] : 1;
        if (Math.Abs(value) < step * 1e-9) return "0";
        double biggest = Math.Max(Math.Abs(ticks[0]), Math.Abs(ticks[^1]));
        if (biggest >= 1e5 || biggest < 1e-3) return value.ToString("0.##e0", CultureInfo.InvariantCulture);
        int decimals = Math.Max(0, (int)-Math.Floor(Math.Log10(step) + 1e-9));
        return value.ToString("F" + decimals, CultureInfo.InvariantCulture);
    }

    static string Line(double x1, double y1, double x2, double y2, string cls) =>
        string.Create(CultureInfo.InvariantCulture, $"<line class=\"{cls}\" x1=\"{x1:F1}\" y1=\"{y1:F1}\" x2=\"{x2:F1}\" y2=\"{y2:F1}\"/>");

    static string Text(double x, double y, string text, string anchor) =>
        string.Create(CultureInfo.InvariantCulture, $"<text x=\"{x:F1}\" y=\"{y:F1}\" text-anchor=\"{anchor}\">{Esc(text)}</text>");

    internal static string Esc(string s) => WebUtility.HtmlEncode(s);
}
