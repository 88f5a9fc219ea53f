namespace SelfSup.Methods.Tests;

/// <summary>The losses in cases worked by hand (closed forms); their PyTorch golden values are in
/// <see cref="Losses.LossGoldenTests"/>.</summary>
public class LossClosedFormTests
{
    static Tensor SameRows(int n, int d)
    {
        var row = Ops.Normalize(Tensor.Randn(new Generator(3), 1, d), 1);
        return row.Expand(n, d).Contiguous();
    }

    [Fact]
    public void InfoNce_of_identical_embeddings_with_K_copies_in_the_queue_is_log_K_plus_1()
    {
        var x = SameRows(8, 16);                                                // every q, k and queue row the same
        var queue = SameRows(32, 16);
        Assert.Equal(MathF.Log(33), InfoNce.WithQueue(x, x, queue, 0.07f).Item(), 4);
    }

    [Fact]
    public void NtXent_of_identical_embeddings_is_log_2N_minus_1()
    {
        var x = SameRows(8, 16);
        Assert.Equal(MathF.Log(2 * 8 - 1), NtXent.Loss(x, x, 0.5f).Item(), 4);
    }

    [Fact]
    public void NtXent_of_orthogonal_pairs_matches_the_hand_computed_value()
    {
        // Two images, views identical, images orthogonal: each anchor sees its positive at cos 1 and two negatives at cos 0.
        var z1 = Tensor.From([1f, 0f, 0f, 1f], 2, 2);
        float t = 0.5f, e = MathF.Exp(1 / t);
        Assert.Equal(-MathF.Log(e / (e + 2)), NtXent.Loss(z1, z1.Clone(), t).Item(), 5);
    }

    [Fact]
    public void Nce_matches_a_hand_worked_case()
    {
        // n = 2, K = 1, Z = 1, τ = 0.5. Features f = (1, 0); bank v0 = (1, 0), v1 = (0, 1).
        // Scores: exp(v0·f/τ) = e², exp(v1·f/τ) = 1.  K·Pn = 1/2.
        // J = −log(e²/(e² + ½)) − log(½/(1 + ½)) = log(1 + ½e⁻²) + log 3.
        var f = Tensor.From([1f, 0f], 1, 2);
        var bank = Tensor.From([1f, 0f, 0f, 1f], 2, 2);
        var scores = Nce.Scores(f, bank, new IntTensor([0, 1], 1, 2), 0.5f);
        TestUtil.Close(Tensor.From([MathF.Exp(2), 1f], 1, 2), scores);
        float expected = MathF.Log(1 + 0.5f * MathF.Exp(-2)) + MathF.Log(3);
        Assert.Equal(expected, Nce.Loss(scores, z: 1f, datasetSize: 2).Item(), 5);
        Assert.Equal((MathF.Exp(2) + 1) / 2 * 2, Nce.EstimateZ(scores, 2), 4);   // n·mean
    }

    [Fact]
    public void Nce_fused_scores_equal_gather_and_batched_matmul_in_value_and_gradient()
    {
        var rng = new Generator(11);
        var bank = Ops.Normalize(Tensor.Randn(rng, 10, 6), 1);
        var index = new IntTensor(Enumerable.Range(0, 3 * 5).Select(_ => rng.NextInt(10)).ToArray(), 3, 5);
        var f1 = TestUtil.Leaf(Ops.Normalize(Tensor.Randn(rng, 3, 6), 1)); var f2 = TestUtil.Leaf(f1);
        var weights = Tensor.Randn(rng, 3, 5);
        var fused = Nce.Scores(f1, bank, index, 0.2f);
        var rows = Ops.IndexSelect(bank, 0, index.Data).Reshape(3, 5, 6);      // (B, K+1, D)
        var composed = Ops.Exp(Ops.MatMul(rows, f2.Unsqueeze(2)).Reshape(3, 5) / 0.2f);
        TestUtil.Close(composed, fused, 1e-5f, 1e-5f);
        (fused * weights).Sum().Backward(); (composed * weights).Sum().Backward();
        TestUtil.Close(f2.Grad!, f1.Grad!, 1e-5f, 1e-4f);
    }
}
