using SelfSup.Engine;

namespace SelfSup.Training;

/// <summary>Top-1 and top-5 accuracy of a kNN evaluation.</summary>
public sealed record KnnResult(double Top1, double Top5, int K, float Temperature, int TestCount);

/// <summary>
/// Weighted k-nearest-neighbour classification on L2-normalised features, the monitor of Wu et al. 2018
/// (Instance Discrimination, test.py; also MoCo's CIFAR demo): each of the k most cosine-similar training
/// features votes for its class with weight exp(similarity / T); classes are ranked by total vote.
/// The weights are computed relative to the row's best similarity, exp((s − s_max) / T), which ranks the classes
/// exactly as exp(s / T) does but cannot overflow at small T. A test image counts as correct (top-1) only when its
/// class's vote is strictly the largest: a tie is not a prediction, so features that collapse to one point or a
/// vote that saturates cannot score. Non-finite features (a diverged checkpoint) are an error, not a score.
/// </summary>
public static class KnnClassifier
{
    /// <param name="trainFeatures">(Ntrain, D), rows L2-normalised.</param>
    /// <param name="trainLabels">Ntrain class indices.</param>
    /// <param name="testFeatures">(Ntest, D), rows L2-normalised.</param>
    /// <param name="testLabels">Ntest class indices.</param>
    /// <param name="numClasses">Number of classes.</param>
    /// <param name="k">Neighbours that vote (200 in InstDisc).</param>
    /// <param name="temperature">T in exp(similarity / T) (0.1 in InstDisc).</param>
    /// <param name="chunk">Test rows per similarity block, bounding memory to chunk × Ntrain floats.</param>
    public static KnnResult Evaluate(Tensor trainFeatures, int[] trainLabels, Tensor testFeatures, int[] testLabels,
        int numClasses, int k = 200, float temperature = 0.1f, int chunk = 256)
    {
        int nTrain = trainFeatures.Shape[0], nTest = testFeatures.Shape[0];
        if (trainLabels.Length != nTrain || testLabels.Length != nTest)
            throw new ArgumentException("kNN: labels and features differ in count");
        if (nTrain == 0 || nTest == 0) throw new ArgumentException("kNN needs training and test features");
        if (!(temperature > 0) || !float.IsFinite(temperature))
            throw new ArgumentException($"kNN temperature must be a positive number, not {temperature}");
        if (k < 1) throw new ArgumentException($"kNN k must be at least 1, not {k}");
        RequireFinite(trainFeatures, "training");
        RequireFinite(testFeatures, "test");
        k = Math.Min(k, nTrain);
        int top1 = 0, top5 = 0;
        var votes = new double[numClasses];
        using var _ = Grad.Disabled();
        var trainT = Ops.Transpose(trainFeatures, 0, 1);                              // (D, Ntrain), a view
        for (int start = 0; start < nTest; start += chunk)
        {
            int n = Math.Min(chunk, nTest - start);
            var similarity = Ops.MatMul(Ops.Narrow(testFeatures, 0, start, n), trainT);  // (n, Ntrain)
            var (values, indices) = Ops.TopK(similarity, k, dim: 1);               // (n, k)
            var v = values.ToArray();
            for (int i = 0; i < n; i++)
            {
                Array.Clear(votes);
                double best = v[i * k];                                              // TopK sorts: the largest first
                for (int j = 0; j < k; j++)
                    votes[trainLabels[indices.Data[i * k + j]]] += Math.Exp((v[i * k + j] - best) / temperature);   // in (0, 1]
                int truth = testLabels[start + i];
                int rank = 0;                                                        // other classes at or ahead of the truth
                for (int c = 0; c < numClasses; c++) if (c != truth && votes[c] >= votes[truth]) rank++;
                if (rank == 0) top1++;
                if (rank < 5) top5++;
            }
        }
        return new KnnResult((double)top1 / nTest, (double)top5 / nTest, k, temperature, nTest);
    }

    static void RequireFinite(Tensor features, string split)
    {
        var data = features.Contiguous().Span;
        int bad = 0;
        foreach (var x in data) if (!float.IsFinite(x)) bad++;
        if (bad > 0)
            throw new InvalidDataException(
                $"kNN: {bad} of {data.Length} {split} feature values are not finite (NaN or infinity): the encoder's weights or inputs have diverged");
    }
}
