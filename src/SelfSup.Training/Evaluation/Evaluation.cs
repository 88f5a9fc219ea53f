using SelfSup.Engine;
using SelfSup.Engine.Nn;
using SelfSup.Vision;

namespace SelfSup.Training;

/// <summary>The evaluation protocols on a backbone: kNN on the test split and the linear probe.</summary>
public static class Evaluation
{
    /// <summary>Weighted kNN (k, T) of the test split against (up to <paramref name="trainLimit"/>) training features;
    /// <paramref name="features"/> (the run report) gets the extracted features too. With a <paramref name="group"/> of
    /// ranks (a data-parallel run), each rank extracts its shard of both splits and every rank gets them all
    /// (<see cref="ExtractSharded"/>); every rank then computes the same result.</summary>
    public static KnnResult Knn(UnaryModule backbone, IImageDataset train, IImageDataset test, IViewTransform eval,
        int k, float temperature, int trainLimit, int threads, TextWriter log, Action<KnnFeatures>? features = null,
        IProcessGroup? group = null)
    {
        var bank = trainLimit > 0 && trainLimit < train.Count ? ImageSubset.First(train, trainLimit) : train;
        var (trainFeatures, trainLabels) = ExtractSharded(backbone, bank, eval, threads, "kNN bank", group);
        var (testFeatures, testLabels) = ExtractSharded(backbone, test, eval, threads, "kNN test", group);
        int classes = Math.Max(trainLabels.Max(), testLabels.Max()) + 1;
        features?.Invoke(new KnnFeatures(bank, trainFeatures, trainLabels, test, testFeatures, testLabels));
        return KnnClassifier.Evaluate(trainFeatures, trainLabels, testFeatures, testLabels, classes, k, temperature);
    }

    public static (Tensor, int[]) Extract(UnaryModule backbone, IImageDataset data, IViewTransform eval, int threads, string label, bool normalize = true)
    {
        var bar = new ProgressBar(label, data.Count);
        return FeatureExtractor.Extract(backbone, data, eval, 256, threads, normalize, (done, total) => bar.Report(done));
    }

    /// <summary>
    /// <see cref="Extract"/> split over the ranks of <paramref name="group"/>: rank r extracts the r-th of W contiguous
    /// shards of ⌈N/W⌉ images (rank 0 shows the progress of its own), and one all-gather gives every rank all N rows in
    /// index order. The features are those one process would extract, row for row (eval mode: no batch statistics).
    /// </summary>
    public static (Tensor Features, int[] Labels) ExtractSharded(UnaryModule backbone, IImageDataset data, IViewTransform eval, int threads,
        string label, IProcessGroup? group)
    {
        if (group is not { Size: > 1 }) return Extract(backbone, data, eval, threads, label);
        int share = (data.Count + group.Size - 1) / group.Size, start = Math.Min(data.Count, group.Rank * share);
        var shard = ImageSubset.Range(data, start, Math.Min(share, data.Count - start));
        var mine = shard.Count == 0 ? null
            : group.Rank == 0 ? Extract(backbone, shard, eval, threads, $"{label} (rank 0's 1/{group.Size})").Item1
            : FeatureExtractor.Extract(backbone, shard, eval, 256, threads).Features;            // (n, D)
        Span<double> widths = [mine?.Shape[1] ?? 0, mine is null ? 0 : 1];      // the width, from the ranks that have rows
        group.AllReduceSum(widths);
        int dim = (int)(widths[0] / widths[1]);
        var padded = new float[share * dim];                                    // every rank sends ⌈N/W⌉ rows
        mine?.Span.CopyTo(padded);
        var all = new float[group.Size * share * dim];
        group.AllGather(padded, all);
        var labels = new int[data.Count];
        for (int i = 0; i < labels.Length; i++) labels[i] = data.Label(i);
        return (Tensor.From(all.AsSpan(0, data.Count * dim).ToArray(), data.Count, dim), labels);     // (N, D) in index order
    }
}
