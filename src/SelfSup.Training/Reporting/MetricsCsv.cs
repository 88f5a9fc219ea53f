using System.Globalization;
using SelfSup.Engine.IO;

namespace SelfSup.Training;

/// <summary>One row per epoch in the run folder's metrics.csv (appended, so a resumed run continues the file).</summary>
public sealed class MetricsCsv(string path)
{
    public const string Header = "epoch,step,loss,lr,knn_top1,knn_top5,img_per_s,seconds,embedding_std,alignment,uniformity";

    public void Append(int epoch, int step, double loss, double lr, double? knnTop1, double? knnTop5, double imgPerSecond, double seconds,
        EmbeddingHealth? health = null)
    {
        bool fresh = !File.Exists(path);
        using var w = new StreamWriter(path, append: true);
        if (fresh) w.WriteLine(Header);
        string F(double? v) => v is double d ? d.ToString("G6", CultureInfo.InvariantCulture) : "";
        w.WriteLine(string.Join(",", epoch, step, F(loss), F(lr), F(knnTop1), F(knnTop5), F(imgPerSecond), F(seconds),
            F(health?.Std), F(health?.Alignment), F(health?.Uniformity)));
    }

    /// <summary>Removes the rows of epochs that ended after step <paramref name="step"/> (a run resumed from an
    /// earlier checkpoint redoes them; a fresh run, step 0, starts the file again).</summary>
    public void DropRowsAfter(int step)
    {
        if (!File.Exists(path)) return;
        var lines = File.ReadAllLines(path);
        var kept = lines.Where((line, i) => i == 0 || !(StepOf(line) > step)).ToArray();
        if (kept.Length < lines.Length) AtomicFile.WriteAllText(path, string.Join("\n", kept) + "\n");
    }

    static readonly int StepColumn = Array.IndexOf(Header.Split(','), "step");

    static int? StepOf(string row)
    {
        var cells = row.Split(',');
        return cells.Length > StepColumn && int.TryParse(cells[StepColumn], NumberStyles.Integer, CultureInfo.InvariantCulture, out int s) ? s : null;
    }
}
