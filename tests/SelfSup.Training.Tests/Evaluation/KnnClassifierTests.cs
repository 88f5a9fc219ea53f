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

    [Fact]
    public void Non_finite_features_are_an_error_naming_the_cause()
    {
        var train = Rows([1, 0], [0, 1]);
        var nan = Tensor.From([float.NaN, float.NaN, float.NaN, float.NaN], 2, 2);
        var e = Assert.Throws<InvalidDataException>(() => KnnClassifier.Evaluate(train, [0, 1], nan, [0, 1], 2, k: 2));
        Assert.Contains("not finite", e.Message);
        Assert.Throws<InvalidDataException>(() => KnnClassifier.Evaluate(nan, [0, 1], train, [0, 1], 2, k: 2));
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(-0.1f)]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void Temperature_must_be_positive(float t)
    {
        var train = Rows([1, 0], [0, 1]);
        Assert.Throws<ArgumentException>(() => KnnClassifier.Evaluate(train, [0, 1], train, [0, 1], 2, k: 2, temperature: t));
    }

    [Fact]
    public void Ties_do_not_count_as_correct()
    {
        // Collapsed features: every training row is the same point, half of each class; each class's vote ties.
        var train = Rows([1, 0], [1, 0], [1, 0], [1, 0]);
        var test = Rows([1, 0], [1, 0]);
        var r = KnnClassifier.Evaluate(train, [0, 0, 1, 1], test, [0, 1], 2, k: 4);
        Assert.Equal(0.0, r.Top1);
    }

    [Fact]
    public void A_tiny_temperature_ranks_as_the_nearest_neighbour_without_overflow()
    {
        // exp(s / 1e-4) overflows a double for every s > 0.071: all votes became infinite and tied, and a tie counted
        // as correct. Relative to the best similarity, the nearest neighbour's class wins, as T → 0 should give.
        var train = Rows([1, 0.05f], [1, -0.3f], [1, -0.35f]);
        var test = Rows([1, 0]);
        Assert.Equal(1.0, KnnClassifier.Evaluate(train, [0, 1, 1], test, [0], 2, k: 3, temperature: 1e-4f).Top1);
        Assert.Equal(0.0, KnnClassifier.Evaluate(train, [0, 1, 1], test, [1], 2, k: 3, temperature: 1e-4f).Top1);
    }
}
