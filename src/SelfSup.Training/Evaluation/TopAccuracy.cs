using SelfSup.Engine;

namespace SelfSup.Training;

/// <summary>Top-1 and top-5 accuracy of classifier logits; a row that is not finite counts as wrong (a diverged model
/// scores 0, never the luck of a NaN comparison).</summary>
public static class TopAccuracy
{
    /// <param name="logits">(N, classes).</param>
    /// <param name="labels">N class indices.</param>
    public static (double Top1, double Top5) Of(Tensor logits, int[] labels)
    {
        int n = logits.Shape[0], classes = logits.Shape[1];
        if (labels.Length != n) throw new ArgumentException($"{labels.Length} labels for {n} rows of logits");
        int k = Math.Min(5, classes);
        var (_, best) = Ops.TopK(logits, k, dim: 1);                              // (N, k)
        var values = logits.Contiguous().Span;
        int top1 = 0, top5 = 0;
        for (int i = 0; i < n; i++)
        {
            if (!System.Numerics.Tensors.TensorPrimitives.IsFiniteAll(values.Slice(i * classes, classes))) continue;
            if (best.Data[i * k] == labels[i]) top1++;
            for (int j = 0; j < k; j++) if (best.Data[i * k + j] == labels[i]) { top5++; break; }
        }
        return ((double)top1 / n, (double)top5 / n);
    }
}
