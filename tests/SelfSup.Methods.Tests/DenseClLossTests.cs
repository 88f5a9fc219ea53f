using System.Globalization;
using SelfSup.Methods.Heads;

namespace SelfSup.Methods.Tests;

public class DenseClLossTests
{
    /// <summary>Per-image permutations of 4 locations: key location j shows query location perm[n][j].</summary>
    static readonly int[][] Perms = [[2, 0, 3, 1], [1, 3, 0, 2]];

    /// <summary>(N, C, 2, 2) maps whose key-view location j holds the query-view location perm[n][j], times a scale.</summary>
    static Tensor PermuteLocations(Tensor maps, float scale)
    {
        int n = maps.Shape[0], c = maps.Shape[1], s = maps.Shape[2] * maps.Shape[3];
        var src = maps.ToArray(); var dst = new float[src.Length];
        for (int i = 0; i < n; i++)
            for (int ch = 0; ch < c; ch++)
                for (int j = 0; j < s; j++)
                    dst[(i * c + ch) * s + j] = scale * src[(i * c + ch) * s + Perms[i][j]];
        return Tensor.From(dst, maps.Shape);
    }

    static int InverseAt(int image, int location) => Array.IndexOf(Perms[image], location);

    [Fact]
    public void Correspondence_picks_the_key_location_showing_the_same_feature_after_the_locations_are_permuted()
    {
        var query = Tensor.Randn(new Generator(11), 2, 5, 2, 2);               // (N, C, h, w)
        var noise = Tensor.Randn(new Generator(12), 2, 5, 2, 2) * 0.05f;
        var key = PermuteLocations(query, 3f) + noise;                          // scaled: cosine, not dot product
        var match = DenseContrastiveLoss.Correspondence(query, key);
        Assert.Equal([2, 4], match.Shape);
        for (int n = 0; n < 2; n++)
            for (int i = 0; i < 4; i++)
                Assert.Equal(InverseAt(n, i), match.Data[n * 4 + i]);
    }

    [Fact]
    public void Correspondence_uses_cosine_similarity_not_the_dot_product()
    {
        // Query location 0 points along e0. Key location 0 is a long vector 45° away, key location 1 a short one along e0.
        var query = Tensor.From([1f, 0f, 0f, 1f], 1, 2, 1, 2);                  // (1, C=2, 1, 2): locations e0, e1
        var key = Tensor.From([10f, 0.1f, 10f, 0f], 1, 2, 1, 2);                // locations (10, 10), (0.1, 0)
        var match = DenseContrastiveLoss.Correspondence(query, key);
        Assert.Equal(1, match.Data[0]);                                         // dot product would pick 0 (10 > 0.1)
        Assert.Equal(0, match.Data[1]);                                         // e1 only overlaps (10, 10)
    }

    [Fact]
    public void Dense_loss_of_matched_identical_keys_with_orthogonal_negatives_is_log_of_1_plus_K_exp_minus_1_over_tau()
    {
        const int n = 2, d = 4, s = 4, negatives = 3; const float tau = 0.2f;
        // Query projections: unit vectors in span(e0, e1), a different angle per location; negatives in span(e2, e3).
        var r = new float[n * d * s];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < s; j++)
            {
                double a = 0.9 * (i * s + j);
                r[(i * d + 0) * s + j] = (float)Math.Cos(a); r[(i * d + 1) * s + j] = (float)Math.Sin(a);
            }
        var queryGrid = Tensor.From(r, n, d, s);                                // (N, D, S)
        var keyGrid = PermuteLocations(queryGrid.Reshape(n, d, 2, 2), 1f).Reshape(n, d, s);
        var queue = Tensor.From([0f, 0f, 1f, 0f, 0f, 0f, 0f, 1f, 0f, 0f, 0.6f, 0.8f], negatives, d);
        var maps = Tensor.Randn(new Generator(5), n, 6, 2, 2);                 // backbone maps, permuted the same way
        var match = DenseContrastiveLoss.Correspondence(maps, PermuteLocations(maps, 0.5f));
        var loss = DenseContrastiveLoss.Loss(queryGrid, keyGrid, match, queue, tau).Item();
        Assert.Equal(Math.Log(1 + negatives * Math.Exp(-1 / tau)), loss, 5);

        var identity = new IntTensor([0, 1, 2, 3, 0, 1, 2, 3], n, s);           // ignoring the correspondence
        var unmatched = DenseContrastiveLoss.Loss(queryGrid, keyGrid, identity, queue, tau).Item();
        Assert.True(unmatched > loss + 0.1f, $"identity matching gave {unmatched}, matched {loss}");
    }

    [Fact]
    public void Combine_weights_the_global_and_dense_terms_by_one_minus_lambda_and_lambda()
    {
        var g = Tensor.From([2f]); var dn = Tensor.From([6f]);
        Assert.Equal(2f, DenseContrastiveLoss.Combine(g, dn, 0f).ToArray()[0]);
        Assert.Equal(4f, DenseContrastiveLoss.Combine(g, dn, 0.5f).ToArray()[0]);
        Assert.Equal(5f, DenseContrastiveLoss.Combine(g, dn, 0.75f).ToArray()[0]);
    }

    static StateDict Fixture => TestUtil.Fixture("densecl.safetensors");

    static DenseClNeck FixtureNeck(StateDict fx)
    {
        var neck = new DenseClNeck(8, 16, 6, new Generator(1));
        var weights = new StateDict();
        foreach (var name in fx.Keys.Where(k => k.StartsWith("neck.", StringComparison.Ordinal)))
            weights.Add(name["neck.".Length..], fx.Float(name));
        neck.LoadStateDict(weights);                                            // strict: the names are DenseCLNeck's
        return neck;
    }

    static float Meta(StateDict fx, string key) => float.Parse(fx.Metadata[key], CultureInfo.InvariantCulture);

    [Fact]
    public void Neck_matches_the_official_DenseCLNeck_and_the_enqueued_keys_are_normalised_pooled_projections()
    {
        var fx = Fixture; var neck = FixtureNeck(fx);
        using var _ = Grad.Disabled();
        var q = neck.Project(fx.Float("q_b")); var k = neck.Project(fx.Float("k_b"));
        TestUtil.Close(fx.Float("q"), q.Global);
        TestUtil.Close(fx.Float("q_grid"), q.Grid);
        TestUtil.Close(fx.Float("k_grid"), k.Grid);
        TestUtil.Close(fx.Float("k_enqueued"), Ops.Normalize(k.Global, 1));
        TestUtil.Close(fx.Float("k2_enqueued"), Ops.Normalize(k.PooledGrid, 1));
        Assert.Equal(fx.Int("match").Data, DenseContrastiveLoss.Correspondence(fx.Float("q_b"), fx.Float("k_b")).Data);
    }

    static Tensor Total(StateDict fx, Tensor q, Tensor qGrid, out float single, out float dense)
    {
        float tau = Meta(fx, "temperature");
        var kGrid = Ops.Normalize(fx.Float("k_grid"), 1);
        var match = DenseContrastiveLoss.Correspondence(fx.Float("q_b"), fx.Float("k_b"));
        var g = InfoNce.WithQueue(Ops.Normalize(q, 1), Ops.Normalize(fx.Float("k"), 1), fx.Float("queue"), tau);
        var dn = DenseContrastiveLoss.Loss(Ops.Normalize(qGrid, 1), kGrid, match, fx.Float("queue2"), tau);
        single = g.Item(); dense = dn.Item();
        return DenseContrastiveLoss.Combine(g, dn, Meta(fx, "lambda"));
    }

    [Fact]
    public void Loss_and_its_gradient_wrt_the_query_projections_match_the_official_forward_train()
    {
        var fx = Fixture;
        var q = TestUtil.Leaf(fx.Float("q")); var qGrid = TestUtil.Leaf(fx.Float("q_grid"));
        var loss = Total(fx, q, qGrid, out float single, out float dense);
        TestUtil.Close(fx.Float("loss_single").Item(), single, 1e-6f, 1e-4f);
        TestUtil.Close(fx.Float("loss_dense").Item(), dense, 1e-6f, 1e-4f);
        TestUtil.Close(fx.Float("loss").Item(), loss.Item(), 1e-6f, 1e-4f);
        loss.Backward();
        TestUtil.Close(fx.Float("grad_q"), q.Grad!, 1e-6f, 1e-3f);
        TestUtil.Close(fx.Float("grad_q_grid"), qGrid.Grad!, 1e-6f, 1e-3f);
    }

    [Fact]
    public void Gradient_through_the_neck_to_the_backbone_maps_matches_the_official_code()
    {
        var fx = Fixture; var neck = FixtureNeck(fx);
        var maps = TestUtil.Leaf(fx.Float("q_b"));
        var p = neck.Project(maps);
        var loss = Total(fx, p.Global, p.Grid, out _, out _);
        TestUtil.Close(fx.Float("loss").Item(), loss.Item(), 1e-6f, 1e-4f);
        loss.Backward();
        TestUtil.Close(fx.Float("grad_q_b"), maps.Grad!, 1e-6f, 1e-3f);
    }
}
