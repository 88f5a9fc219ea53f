namespace SelfSup.Training;

/// <summary>
/// A one-line progress bar on stderr, redrawn in place (at most 10 times a second): what has been done of what,
/// a bar, the caller's figures (loss, lr, img/s) and the time left. When stderr is not a terminal (CI, logs),
/// it prints a plain line at most every 10 % instead.
/// </summary>
public sealed class ProgressBar(string label, int total)
{
    readonly long started = System.Diagnostics.Stopwatch.GetTimestamp();
    readonly bool interactive = !Console.IsErrorRedirected;
    long lastDraw;
    int lastDecile = -1;

    public void Report(int done, string figures = "")
    {
        var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started);
        double fraction = total == 0 ? 1 : (double)done / total;
        var eta = fraction > 0 ? TimeSpan.FromSeconds(elapsed.TotalSeconds * (1 - fraction) / fraction) : TimeSpan.Zero;
        if (interactive)
        {
            long now = System.Diagnostics.Stopwatch.GetTimestamp();
            if (done < total && System.Diagnostics.Stopwatch.GetElapsedTime(lastDraw, now).TotalMilliseconds < 100) return;
            lastDraw = now;
            int filled = (int)(fraction * 24);
            Console.Error.Write($"\r{label} [{new string('#', filled)}{new string('.', 24 - filled)}] {done}/{total} {figures} ETA {Format(eta)}   ");
            if (done >= total) Console.Error.WriteLine();
            return;
        }
        int decile = (int)(fraction * 10);
        if (decile == lastDecile && done < total) return;
        lastDecile = decile;
        Console.Error.WriteLine($"{label} {done}/{total} {figures} elapsed {Format(elapsed)} ETA {Format(eta)}");
    }

    static string Format(TimeSpan t) => t.TotalHours >= 1 ? t.ToString(@"h\:mm\:ss") : t.ToString(@"m\:ss");
}
