using SelfSup.Engine;
using Xunit;

namespace SelfSup.Training.Tests;

/// <summary>The collapse metric and alignment/uniformity on batches whose answers are known.</summary>
public class EmbeddingHealthTests
{
    const int N = 400, D = 64;

    [Fact]
    public void Features_spread_over_the_sphere_have_std_near_one_over_root_D_and_uniformity_near_minus_four()
    {
        var z = Tensor.Randn(new Generator(1), N, D);                            // (N, D) isotropic: uniform directions
        var h = EmbeddingHealth.Of(z, Tensor.Randn(new Generator(2), N, D));    // the "other view" unrelated
        Assert.InRange(h.RelativeStd, 0.95, 1.02);
        Assert.InRange(h.Uniformity, -4.1, -3.7);                                // log E exp(−2‖u−v‖²), ‖u−v‖² ≈ 2 ± O(1/√D)
        Assert.InRange(h.Alignment!.Value, 1.9, 2.1);                            // unrelated unit vectors: E‖u−v‖² = 2
        Assert.Equal(D, h.Dim);
    }

    [Fact]
    public void A_collapsed_batch_has_std_near_zero_uniformity_near_zero_and_perfect_alignment()
    {
        var one = Tensor.Randn(new Generator(3), 1, D).ToArray();
        var noise = Tensor.Randn(new Generator(4), N, D).ToArray();
        var rows = new float[N * D];
        for (int i = 0; i < N; i++)
            for (int j = 0; j < D; j++) rows[i * D + j] = one[j] + 1e-4f * noise[i * D + j];   // every image at one point
        var z = Tensor.From(rows, N, D);
        var h = EmbeddingHealth.Of(z, z);
        Assert.True(h.RelativeStd < 0.01, $"relative std {h.RelativeStd}");
        Assert.True(h.RelativeStd < EmbeddingHealth.CollapseWarning);
        Assert.InRange(h.Uniformity, -1e-3, 0);
        Assert.Equal(0, h.Alignment!.Value, 1e-9);
    }

    [Fact]
    public void Scale_does_not_matter_the_rows_are_normalised_first()
    {
        var z = Tensor.Randn(new Generator(5), 50, 8);
        var a = EmbeddingHealth.Of(z);
        var b = EmbeddingHealth.Of(z * 37f);
        Assert.Equal(a.Std, b.Std, 1e-6);
        Assert.Equal(a.Uniformity, b.Uniformity, 1e-6);
        Assert.Null(a.Alignment);                                                // one view: no alignment
    }
}
