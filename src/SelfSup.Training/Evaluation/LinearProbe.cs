using SelfSup.Engine;
using SelfSup.Engine.Nn;
using SelfSup.Engine.Optim;

namespace SelfSup.Training;

/// <summary>Linear-probe settings: SGD with momentum and cosine lr on frozen features.</summary>
/// <param name="FeatureBatchNorm">A non-affine BatchNorm1d before the classifier (MoCo v3 / solo-learn practice;
/// it only rescales features, so the probe stays linear).</param>
public sealed record LinearProbeOptions(int Epochs = 30, int BatchSize = 256, float Lr = 0.1f, float Momentum = 0.9f,
    float WeightDecay = 0f, bool FeatureBatchNorm = true, ulong Seed = 0);

/// <summary>Top-1/top-5 test accuracy of the probe and its final training loss.</summary>
public sealed record LinearProbeResult(double Top1, double Top5, float TrainLoss, int Epochs);

/// <summary>
/// The linear evaluation protocol (Zhang et al. 2016; as in MoCo/SimCLR): a linear classifier trained on frozen
/// backbone features, reported on the test split. Features are computed once, so each epoch costs a GEMM.
/// </summary>
public static class LinearProbe
{
    sealed class Classifier : UnaryModule
    {
        readonly BatchNorm1d? norm;
        readonly Linear fc;

        public Classifier(int dim, int classes, bool featureNorm, Generator rng)
        {
            if (featureNorm) norm = Child("bn", new BatchNorm1d(dim, affine: false));
            fc = Child("fc", new Linear(dim, classes, rng));
        }

        public override Tensor Forward(Tensor x) => fc.Forward(norm?.Forward(x) ?? x);    // (N, classes)
    }

    /// <param name="trainFeatures">(Ntrain, D) frozen features.</param>
    /// <param name="trainLabels">Ntrain class indices.</param>
    /// <param name="testFeatures">(Ntest, D).</param>
    /// <param name="testLabels">Ntest class indices.</param>
    /// <param name="numClasses">Number of classes.</param>
    /// <param name="options">Optimisation settings.</param>
    /// <param name="progress">Called after each epoch with (epoch, mean training loss).</param>
    public static LinearProbeResult Train(Tensor trainFeatures, int[] trainLabels, Tensor testFeatures, int[] testLabels,
        int numClasses, LinearProbeOptions options, Action<int, float>? progress = null)
    {
        int n = trainFeatures.Shape[0], dim = trainFeatures.Shape[1];
        var rng = new Generator(options.Seed);
        var model = new Classifier(dim, numClasses, options.FeatureBatchNorm, rng);
        var opt = new Sgd(model.NamedTrainableParameters(), options.Lr, options.Momentum, options.WeightDecay);
        int stepsPerEpoch = Math.Max(1, n / options.BatchSize), totalSteps = stepsPerEpoch * options.Epochs;
        var schedule = new WarmupCosine(options.Lr, 0, totalSteps);
        float epochLoss = 0;
        for (int epoch = 0, step = 0; epoch < options.Epochs; epoch++)
        {
            var order = rng.Permutation(n);
            double lossSum = 0;
            for (int b = 0; b < stepsPerEpoch; b++, step++)
            {
                var rows = order.AsSpan(b * options.BatchSize, Math.Min(options.BatchSize, n - b * options.BatchSize)).ToArray();
                var x = Ops.IndexSelect(trainFeatures, 0, rows);                  // (B, D)
                var y = new IntTensor([.. rows.Select(r => trainLabels[r])], rows.Length);
                opt.Lr = schedule.At(step);
                opt.ZeroGrad();
                var loss = Ops.CrossEntropy(model.Forward(x), y);                  // logits (B, classes)
                loss.Backward();
                opt.Step();
                lossSum += loss.Item();
            }
            epochLoss = (float)(lossSum / stepsPerEpoch);
            progress?.Invoke(epoch, epochLoss);
        }
        model.Eval();
        var (top1, top5) = Accuracy(model, testFeatures, testLabels);
        return new LinearProbeResult(top1, top5, epochLoss, options.Epochs);
    }

    static (double top1, double top5) Accuracy(Classifier model, Tensor features, int[] labels)
    {
        using var _ = Grad.Disabled();
        return TopAccuracy.Of(model.Forward(features), labels);                    // logits (N, classes)
    }
}
