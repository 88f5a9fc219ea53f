using SelfSup.Engine;
using SelfSup.Engine.Nn;
using SelfSup.Vision;

namespace SelfSup.Training;

/// <summary>The evaluation protocols on a backbone: kNN on the test split and the linear probe.</summary>
public static class Evaluation
{
    /// <summary>Weighted kNN (k, T) of the test split against (up to <paramref name="trainLimit"/>) training features;
    /// <paramref name="features"/> (the run report) gets the extracted features too.</summary>
    public static KnnResult Knn(UnaryModule backbone, IImageDataset train, IImageDataset test, IViewTransform eval,
        int k, float temperature, int trainLimit, int threads, TextWriter log, Action<KnnFeatures>? features = null)
    {
        var bank = trainLimit > 0 && trainLimit < train.Count ? new FirstImages(train, trainLimit) : train;
        var (trainFeatures, trainLabels) = Extract(backbone, bank, eval, threads, "kNN bank");
        var (testFeatures, testLabels) = Extract(backbone, test, eval, threads, "kNN test");
        int classes = Math.Max(trainLabels.Max(), testLabels.Max()) + 1;
        features?.Invoke(new KnnFeatures(bank, trainFeatures, trainLabels, test, testFeatures, testLabels));
        return KnnClassifier.Evaluate(trainFeatures, trainLabels, testFeatures, testLabels, classes, k, temperature);
    }

    public static (Tensor, int[]) Extract(UnaryModule backbone, IImageDataset data, IViewTransform eval, int threads, string label, bool normalize = true)
    {
        var bar = new ProgressBar(label, data.Count);
        return FeatureExtractor.Extract(backbone, data, eval, 256, threads, normalize, (done, total) => bar.Report(done));
    }
}
