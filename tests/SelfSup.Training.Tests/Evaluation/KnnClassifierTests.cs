using SelfSup.Engine;
using Xunit;

namespace SelfSup.Training.Tests;

public class KnnClassifierTests
{
    static Tensor Rows(params float[][] rows) =>
        Ops.Normalize(Tensor.From([.. rows.SelectMany(r => r)], rows.Length, rows[0].Length), dim: 1);

    [Fact]
    public void Separated_clusters_are_classified_perfectly()
    {
        var train = Rows([1, 0.1f], [1, -0.1f], [0.1f, 1], [-0.1f, 1]);
        var test = Rows([1, 0], [0, 1]);
        var r = KnnClassifier.Evaluate(train, [0, 0, 1, 1], test, [0, 1], numClasses: 2, k: 2);
        Assert.Equal(1.0, r.Top1);
    }

    [Fact]
    public void Votes_are_weighted_by_exp_similarity_over_temperature()
    {
        // One very close neighbour of class 1 against two farther ones of class 0 (k = 3):
        // with T = 0.1 the close one's weight e^(1/0.1) beats 2·e^(0.6/0.1); with T = 10 the majority wins.
        var train = Rows([1, 0], [0.6f, 0.8f], [0.6f, -0.8f]);
        var test = Rows([1, 0]);
        Assert.Equal(1.0, KnnClassifier.Evaluate(train, [1, 0, 0], test, [1], 2, k: 3, temperature: 0.1f).Top1);
        Assert.Equal(0.0, KnnClassifier.Evaluate(train, [1, 0, 0], test, [1], 2, k: 3, temperature: 10f).Top1);
    }

    [Fact]
    public void Top5_counts_the_truth_among_the_five_best_classes()
    {
        // Seven classes, one training point each, at decreasing similarity; the truth is the 4th best.
        var angles = Enumerable.Range(0, 7).Select(i => 0.2f * i).ToArray();
        var train = Rows([.. angles.Select(a => new[] { MathF.Cos(a), MathF.Sin(a) })]);
        var test = Rows([1, 0]);
        var r = KnnClassifier.Evaluate(train, [0, 1, 2, 3, 4, 5, 6], test, [3], 7, k: 7);
        Assert.Equal(0.0, r.Top1);
        Assert.Equal(1.0, r.Top5);
    }
}
