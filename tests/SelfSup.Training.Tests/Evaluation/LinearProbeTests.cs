using SelfSup.Engine;
using Xunit;

namespace SelfSup.Training.Tests;

public class LinearProbeTests
{
    /// <summary>Three Gaussian blobs in 8-D: linearly separable, so a probe must fit them; shuffled labels cannot be.</summary>
    static (Tensor x, int[] y) Blobs(int n, ulong seed, bool shuffleLabels = false)
    {
        var rng = new Generator(seed);
        var data = new float[n * 8]; var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            labels[i] = i % 3;
            for (int d = 0; d < 8; d++) data[i * 8 + d] = (float)rng.NextNormal() * 0.3f + (d == labels[i] ? 2f : 0f);
        }
        if (shuffleLabels) labels = [.. rng.Permutation(n).Select(j => labels[j])];
        return (Tensor.From(data, n, 8), labels);
    }

    [Fact]
    public void Probe_separates_linearly_separable_features()
    {
        var (xTrain, yTrain) = Blobs(600, 1); var (xTest, yTest) = Blobs(300, 2);
        var r = LinearProbe.Train(xTrain, yTrain, xTest, yTest, 3, new LinearProbeOptions(Epochs: 10, BatchSize: 64));
        Assert.True(r.Top1 > 0.97, $"top-1 {r.Top1}");
        Assert.Equal(1.0, r.Top5);                                           // only 3 classes
    }

    [Fact]
    public void Probe_on_random_labels_stays_at_chance()
    {
        var (xTrain, yTrain) = Blobs(600, 1, shuffleLabels: true); var (xTest, yTest) = Blobs(300, 2, shuffleLabels: true);
        var r = LinearProbe.Train(xTrain, yTrain, xTest, yTest, 3, new LinearProbeOptions(Epochs: 10, BatchSize: 64));
        Assert.InRange(r.Top1, 0.2, 0.5);
    }
}
