using System.Xml.Linq;
using Xunit;

namespace SelfSup.Training.Tests;

public class SvgChartTests
{
    [Theory]
    [InlineData(0.0, 9.3, 0.0, 10.0, 2.0)]
    [InlineData(3.37, 4.9, 3.0, 5.0, 0.5)]
    [InlineData(0.00012, 0.0031, 0.0, 0.004, 0.001)]
    [InlineData(-0.7, 0.3, -0.8, 0.4, 0.2)]
    [InlineData(120.0, 980.0, 0.0, 1000.0, 200.0)]
    public void Axis_widens_to_whole_ticks_of_1_2_or_5_times_a_power_of_ten(double min, double max, double lo, double hi, double step)
    {
        var (a, b, ticks) = SvgChart.Axis(min, max);
        Assert.Equal(lo, a, 9);
        Assert.Equal(hi, b, 9);
        Assert.Equal(step, ticks[1] - ticks[0], 9);
        Assert.Equal(lo, ticks[0], 9);
        Assert.Equal(hi, ticks[^1], 9);
    }

    [Fact]
    public void An_integer_axis_has_no_fractional_ticks()
    {
        Assert.Equal([1.0, 2.0], SvgChart.Axis(1, 2, integers: true).Ticks);
        Assert.Equal([1.0, 1.2, 1.4, 1.6, 1.8, 2.0], SvgChart.Axis(1, 2).Ticks.Select(t => Math.Round(t, 9)));
    }

    [Fact]
    public void A_flat_series_still_gets_a_range() =>
        Assert.True(SvgChart.Axis(0.5, 0.5) is var (lo, hi, ticks) && lo < 0.5 && hi > 0.5 && ticks.Length >= 2);

    [Fact]
    public void Points_land_where_the_axes_say()
    {
        // x 0..10 and y 0..10 both become axes of ticks 0, 2, …, 10; the plot spans x 64..544, y 34..254.
        var svg = SvgChart.Render("t", "step", "loss", [new("s", "#000", [(0, 0), (10, 10), (5, double.NaN), (5, 2.5)])]);
        var doc = XDocument.Parse(svg);                                              // well-formed XML
        XNamespace ns = "http://www.w3.org/2000/svg";
        var points = doc.Descendants(ns + "polyline").Single().Attribute("points")!.Value.Trim().Split(' ');
        Assert.Equal(["64.0,254.0", "544.0,34.0", "304.0,199.0"], points);         // the NaN point is skipped
        var labels = doc.Descendants(ns + "text").Select(t => t.Value).ToList();
        Assert.Contains("step", labels);
        Assert.Contains("loss", labels);
        Assert.Equal(2, labels.Count(l => l == "10"));                             // a "10" under the x axis and beside the y axis
    }

    [Fact]
    public void Several_series_get_a_legend_and_an_empty_chart_says_so()
    {
        var two = SvgChart.Render("acc", "epoch", "%", [new("top-1", "#0a0", [(1, 50), (2, 60)]), new("top-5", "#0f0", [(1, 90)])]);
        Assert.Contains(">top-1</text>", two);
        Assert.Contains(">top-5</text>", two);
        Assert.Contains("<circle", two);                                            // a one-point series is a dot
        var empty = SvgChart.Render("acc", "epoch", "%", [new("top-1", "#0a0", [])]);
        Assert.Contains("no data yet", empty);
        XDocument.Parse(empty);
    }

    [Fact]
    public void Text_is_escaped()
    {
        var svg = SvgChart.Render("a<b & \"c\"", "x", "y", [new("s", "#000", [(0, 1), (1, 2)])]);
        Assert.Contains("a&lt;b &amp; &quot;c&quot;", svg);
        XDocument.Parse(svg);
    }
}
