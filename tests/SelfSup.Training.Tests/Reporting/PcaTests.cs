using SelfSup.Engine;
using Xunit;

namespace SelfSup.Training.Tests;

public class PcaTests
{
    /// <summary>n points with standard deviations 3, 2, 0.5 along the orthonormal axes u, v, w (a rotated box), plus an offset.</summary>
    static (float[] Rows, double[][] Axes) Rotated(int n)
    {
        double s = Math.Sqrt(0.5), t = Math.Sqrt(1.0 / 3);
        double[][] axes = [[s, s, 0], [t, -t, t], [0, 0, 0]];                     // u·v = 0; w = u × v
        axes[2] = [axes[0][1] * axes[1][2] - axes[0][2] * axes[1][1], axes[0][2] * axes[1][0] - axes[0][0] * axes[1][2], axes[0][0] * axes[1][1] - axes[0][1] * axes[1][0]];
        var rng = new Generator(11);
        var rows = new float[n * 3];
        double[] sd = [3, 2, 0.5], offset = [5, -3, 2];
        for (int i = 0; i < n; i++)
        {
            for (int d = 0; d < 3; d++) rows[i * 3 + d] = (float)offset[d];
            for (int a = 0; a < 3; a++)
            {
                double z = sd[a] * rng.NextNormal();
                for (int d = 0; d < 3; d++) rows[i * 3 + d] += (float)(z * axes[a][d]);
            }
        }
        return (rows, axes);
    }

    [Fact]
    public void Components_are_the_directions_of_largest_variance_and_projections_are_centred()
    {
        var (rows, axes) = Rotated(4000);
        var pca = Pca.Fit(rows, 3, components: 2);
        Assert.InRange(Math.Abs(Dot(pca.Components[0], axes[0])), 0.995, 1.0001);
        Assert.InRange(Math.Abs(Dot(pca.Components[1], axes[1])), 0.995, 1.0001);
        Assert.Equal(0, Dot(pca.Components[0], pca.Components[1]), 9);
        Assert.InRange(pca.Variances[0], 9 * 0.9, 9 * 1.1);
        Assert.InRange(pca.Variances[1], 4 * 0.9, 4 * 1.1);
        Assert.InRange(pca.TotalVariance, 13.25 * 0.9, 13.25 * 1.1);
        Assert.Equal(0, pca.Projected.Average(p => p[0]), 6);                       // centred by the mean
        double sampleVariance = pca.Projected.Average(p => p[0] * p[0]);
        Assert.Equal(pca.Variances[0], sampleVariance, 6);                          // the eigenvalue is the variance of the projection
    }

    [Fact]
    public void Variance_matches_a_closed_form_two_dimensional_case()
    {
        // Points (±1, 0) and (0, ±2): covariance diag(0.5, 2) → first component the y axis with variance 2.
        float[] rows = [1, 0, -1, 0, 0, 2, 0, -2];
        var pca = Pca.Fit(rows, 2, components: 2);
        Assert.Equal(1, Math.Abs(pca.Components[0][1]), 6);
        Assert.Equal(2, pca.Variances[0], 6);
        Assert.Equal(0.5, pca.Variances[1], 6);
        Assert.Equal(2.5, pca.TotalVariance, 9);
    }

    [Fact]
    public void Rows_that_do_not_divide_by_the_dimension_are_refused() =>
        Assert.Throws<ArgumentException>(() => Pca.Fit(new float[7], 3));

    static double Dot(double[] a, double[] b) => a.Zip(b, (x, y) => x * y).Sum();
}
