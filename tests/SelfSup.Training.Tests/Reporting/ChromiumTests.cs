using System.Diagnostics;
using System.Text.RegularExpressions;
using SelfSup.Vision;
using Xunit;

namespace SelfSup.Training.Tests;

/// <summary>A fact that is skipped, with the reason, when the chromium browser is not installed (scripts/setup.sh --report-check).</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public static readonly string? Chromium = new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser" }.FirstOrDefault(File.Exists);

    public ChromiumFactAttribute()
    {
        if (Chromium is null) Skip = "chromium is not installed (scripts/setup.sh --report-check installs it)";
    }
}

/// <summary>report.html opened by a real browser, headless and offline.</summary>
public class ChromiumTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("selfsup-chromium-").FullName;
    public void Dispose() => Directory.Delete(root, recursive: true);

    (string StdOut, string StdErr) RunChromium(params string[] args)
    {
        var start = new ProcessStartInfo(ChromiumFactAttribute.Chromium!)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in (string[])["--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--enable-logging=stderr", "--v=0",
                     $"--user-data-dir={Path.Combine(root, "profile")}", .. args])
            start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000)) { p.Kill(entireProcessTree: true); Assert.Fail("chromium did not finish within 120 s"); }
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"chromium exit code {p.ExitCode}: {stderr.Result}");
        return (stdout.Result, stderr.Result);
    }

    [ChromiumFact]
    public void Chromium_loads_the_report_with_its_charts_and_no_console_errors()
    {
        var path = Path.Combine(root, "report.html");
        ReportHtml.Write(path, ReportHtmlTests.Sample());
        var (dom, log) = RunChromium("--dump-dom", new Uri(path).AbsoluteUri);
        Assert.Contains("<title>SelfSup run: mocov2 on test&lt;data&gt;</title>", dom);
        Assert.Equal(6, Regex.Count(dom, "<svg class=\"chart\""));
        Assert.Contains("<svg class=\"embedding\"", dom);
        Assert.Contains("<polyline", dom);
        Assert.Contains("data:image/png;base64,", dom);
        Assert.DoesNotMatch(new Regex(@"CONSOLE\(|Uncaught|ERR_FILE_NOT_FOUND|Failed to load resource"), log);
    }

    [ChromiumFact]
    public void Chromium_screenshot_of_the_report_is_not_blank()
    {
        var path = Path.Combine(root, "report.html");
        ReportHtml.Write(path, ReportHtmlTests.Sample());
        var shot = Path.Combine(root, "shot.png");
        RunChromium($"--screenshot={shot}", "--window-size=800,600", "--hide-scrollbars", new Uri(path).AbsoluteUri);
        var image = PngDecoder.Decode(File.ReadAllBytes(shot), shot);
        Assert.Equal(800, image.Width);
        int coloured = 0;                                                           // the charts' blue/orange lines, not just grey text
        for (int i = 0; i < image.Width * image.Height; i++)
        {
            int r = image.Pixels[i * image.Channels], g = image.Pixels[i * image.Channels + 1], b = image.Pixels[i * image.Channels + 2];
            if (Math.Max(r, Math.Max(g, b)) - Math.Min(r, Math.Min(g, b)) > 60) coloured++;
        }
        Assert.True(coloured > 200, $"only {coloured} coloured pixels in the screenshot");
    }
}
