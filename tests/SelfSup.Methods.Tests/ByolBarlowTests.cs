using SelfSup.Training;
using SelfSup.Engine.Kernels;

namespace SelfSup.Methods.Tests;

public class ByolBarlowTests
{
    static Byol TinyByol(ulong seed = 1) =>
        new(((ByolOptions)new ByolRecipe().Small().Method) with { Backbone = TestUtil.TinyBackbone, Hidden = 16, Dim = 8 }, new Generator(seed));

    static BarlowTwins TinyBarlow(ulong seed = 1) =>
        new(((BarlowTwinsOptions)new BarlowTwinsRecipe().Small().Method) with { Backbone = TestUtil.TinyBackbone, Hidden = 16, Dim = 8 }, new Generator(seed));

    static Tensor[] TwoViews(ulong seed) => [TestUtil.Images(seed), TestUtil.Images(seed + 100)];
    static readonly int[] Indices = [3, 7, 0, 11];

    static List<float[]> Values(Module m) => m.Parameters().Select(p => p.ToArray()).ToList();

    // ---- BYOL loss ----

    [Fact]
    public void Byol_loss_is_zero_for_parallel_outputs_four_for_opposite_two_for_orthogonal_and_matches_a_hand_value()
    {
        var z = Tensor.Randn(new Generator(2), 5, 6);
        Assert.Equal(0f, ByolLoss.Loss(3f * z, z).Item(), 5);                  // identical after normalisation
        Assert.Equal(4f, ByolLoss.Loss(-0.5f * z, z).Item(), 5);
        Assert.Equal(2f, ByolLoss.Loss(Tensor.From([1f, 0f, 0f, 2f], 2, 2), Tensor.From([0f, 5f, 1f, 0f], 2, 2)).Item(), 5);
        // Rows: cos = 1/√2 and cos = 0  →  mean of (2 − √2) and 2.
        var p = Tensor.From([1f, 0f, 0f, 1f], 2, 2); var t = Tensor.From([1f, 1f, 1f, 0f], 2, 2);
        Assert.Equal((2 - MathF.Sqrt(2) + 2) / 2, ByolLoss.Loss(p, t).Item(), 5);
    }

    [Fact]
    public void Byol_loss_of_random_outputs_lies_in_0_4_and_sends_no_gradient_to_the_target()
    {
        var rng = new Generator(5);
        for (int trial = 0; trial < 20; trial++)
        {
            var l = ByolLoss.Loss(Tensor.Randn(rng, 7, 3), Tensor.Randn(rng, 7, 3)).Item();
            Assert.InRange(l, 0f, 4f);
            Assert.True(l is > 0.01f and < 3.99f);
        }
        var pred = TestUtil.Leaf(Tensor.Randn(rng, 4, 3)); var target = TestUtil.Leaf(Tensor.Randn(rng, 4, 3));
        ByolLoss.Loss(pred, target).Backward();
        Assert.Null(target.Grad);
        Assert.NotNull(pred.Grad);
    }

    // ---- Barlow Twins loss ----

    /// <summary>(8, 4): columns are ±1 Walsh functions: mean 0, biased variance 1, mutually orthogonal.</summary>
    static Tensor Decorrelated()
    {
        var data = new float[8 * 4];
        for (int n = 0; n < 8; n++)
            for (int d = 0; d < 4; d++)
                data[n * 4 + d] = int.PopCount(n & (d + 1)) % 2 == 0 ? 1f : -1f;  // Walsh function of index d+1 ∈ {1..4}
        return Tensor.From(data, 8, 4);
    }

    [Fact]
    public void Barlow_twins_loss_is_zero_on_identical_decorrelated_inputs_and_counts_flipped_and_swapped_features()
    {
        var z = Decorrelated();
        var c = Ops.MatMul(z.T, z) / 8;
        TestUtil.Close(Tensor.Zeros(4, 4) + EyeOf(4), c, 0, 0);                // the fixture really is decorrelated
        Assert.True(BarlowTwinsLoss.Loss(z, z.Clone(), 0.0051f).Item() < 1e-6f);
        // One feature flipped in the second view: C₀₀ = −1, so (1 − (−1))² = 4.
        var flipped = z * Tensor.From([-1f, 1f, 1f, 1f], 4);
        Assert.Equal(4f, BarlowTwinsLoss.Loss(z, flipped, 0.0051f).Item(), 3);
        // Features 0 and 1 swapped: C₀₀ = C₁₁ = 0 (two misses of 1 each), C₀₁ = C₁₀ = 1 (λ each).
        var swapped = Ops.IndexSelect(z, 1, [1, 0, 2, 3]);
        Assert.Equal(2f + 2 * 0.5f, BarlowTwinsLoss.Loss(z, swapped, 0.5f).Item(), 3);
    }

    static Tensor EyeOf(int d)
    {
        var e = Tensor.Zeros(d, d);
        for (int i = 0; i < d; i++) e[i, i] = 1;
        return e;
    }

    [Fact]
    public void Barlow_twins_loss_is_invariant_to_per_feature_affine_maps_of_either_view()
    {
        var rng = new Generator(9);
        var z1 = Tensor.Randn(rng, 16, 6); var z2 = 0.5f * z1 + Tensor.Randn(rng, 16, 6);   // correlated views
        var l = BarlowTwinsLoss.Loss(z1, z2, 0.0051f).Item();
        var a1 = Tensor.Uniform(rng, 0.5f, 3f, 6); var b1 = Tensor.Randn(rng, 6);
        var a2 = Tensor.Uniform(rng, 0.5f, 3f, 6); var b2 = Tensor.Randn(rng, 6);
        TestUtil.Close(l, BarlowTwinsLoss.Loss(a1 * z1 + b1, a2 * z2 + b2, 0.0051f).Item(), 1e-5f, 1e-4f);
        var sign = Tensor.From([-1f, 1f, -1f, 1f, 1f, -1f], 6);               // the same sign flips on both views
        TestUtil.Close(l, BarlowTwinsLoss.Loss(sign * z1, sign * z2, 0.0051f).Item(), 1e-5f, 1e-4f);
        Assert.True(l > 1);
    }

    [Fact]
    public void Barlow_twins_loss_equals_the_masked_cross_correlation_formula_in_value_and_gradient()
    {
        var rng = new Generator(4);
        var x1 = Tensor.Randn(rng, 10, 5); var x2 = 0.7f * x1 + 0.5f * Tensor.Randn(rng, 10, 5);
        var a1 = TestUtil.Leaf(x1); var a2 = TestUtil.Leaf(x2);
        var b1 = TestUtil.Leaf(x1); var b2 = TestUtil.Leaf(x2);
        float lambda = 0.3f;
        var fused = BarlowTwinsLoss.Loss(a1, a2, lambda);
        var c = Ops.MatMul(Std(b1).T, Std(b2)) / 10;                            // (D, D)
        var eye = EyeOf(5);
        var onDiag = Ops.Sum(c * eye, 1);                                      // (D)
        var composed = Ops.Sum((1f - onDiag) * (1f - onDiag)) + lambda * Ops.Sum(c * c * (1f - eye));
        TestUtil.Close(composed.Item(), fused.Item(), 1e-5f, 1e-5f);
        fused.Backward(); composed.Backward();
        TestUtil.Close(b1.Grad!, a1.Grad!, 1e-5f, 1e-3f);
        TestUtil.Close(b2.Grad!, a2.Grad!, 1e-5f, 1e-3f);

        static Tensor Std(Tensor z) => (z - Ops.Mean(z, 0, keepDim: true)) / Ops.Sqrt(Ops.Var(z, [0], unbiased: false, keepDim: true) + BarlowTwinsLoss.Eps);
    }

    // ---- BYOL wiring ----

    [Fact]
    public void Byol_target_receives_no_gradient_and_is_not_optimised()
    {
        var byol = TinyByol();
        byol.Loss(TwoViews(1), Indices).Backward();
        Assert.All(byol.TargetEncoder.Parameters(), p => Assert.Null(p.Grad));
        Assert.All(byol.OnlineEncoder.Parameters(), p => Assert.NotNull(p.Grad));
        Assert.All(byol.Predictor.Parameters(), p => Assert.NotNull(p.Grad));
        var optimised = byol.OptimizerParameters().Select(p => p.Name).ToList();
        Assert.DoesNotContain(optimised, n => n.StartsWith("target.", StringComparison.Ordinal));
        Assert.Equal(byol.OnlineEncoder.Parameters().Count() + byol.Predictor.Parameters().Count(), optimised.Count);
        Assert.Contains("predictor.3.weight", optimised);
        Assert.Contains("target.head.3.weight", byol.StateDict().Keys);
        Assert.Contains("target.backbone.conv1.weight", byol.StateDict().Keys);
    }

    [Fact]
    public void Byol_target_starts_as_a_copy_and_moves_toward_the_online_weights_by_exactly_one_minus_the_cosine_tau()
    {
        var byol = TinyByol();
        Assert.Equal(Values(byol.OnlineEncoder), Values(byol.TargetEncoder));
        var opt = new Sgd(byol.OptimizerParameters(), lr: 0.5f, momentum: 0.9f);
        var loss = byol.Loss(TwoViews(1), Indices);
        opt.ZeroGrad(); loss.Backward(); opt.Step();
        var targetBefore = Values(byol.TargetEncoder);
        var onlineAfterStep = Values(byol.OnlineEncoder);
        Assert.NotEqual(targetBefore[0], onlineAfterStep[0]);                  // the step moved the online network away
        byol.AfterStep(3, 10);
        float tau = (float)(1 - (1 - (double)0.99f) * (Math.Cos(Math.PI * 3 / 10) + 1) / 2);   // τ_k = 1 − (1−τ_base)(cos πk/K + 1)/2
        Assert.Equal(tau, byol.MomentumAt(3, 10));
        Assert.Equal(0.99f, byol.MomentumAt(0, 10));
        Assert.Equal(1f, byol.MomentumAt(10, 10));
        var targetAfter = Values(byol.TargetEncoder);
        for (int i = 0; i < targetAfter.Count; i++)
            for (int j = 0; j < targetAfter[i].Length; j++)
                Assert.Equal(tau * targetBefore[i][j] + (1 - tau) * onlineAfterStep[i][j], targetAfter[i][j]);
    }

    [Fact]
    public void Byol_target_output_ignores_online_weights_until_AfterStep_and_AfterStep_needs_a_loss()
    {
        var byol = TinyByol();
        var x = TestUtil.Images(5);
        var before = byol.TargetProjections(x);
        byol.AfterStep(0, 10);                                                  // no loss yet: nothing to do
        byol.Loss(TwoViews(1), Indices);
        foreach (var p in byol.OnlineEncoder.Parameters()) { var s = p.Span; for (int i = 0; i < s.Length; i++) s[i] += 0.05f; }
        TestUtil.Close(before, byol.TargetProjections(x), 0, 0);
        byol.AfterStep(0, 10);
        var change = (byol.TargetProjections(x) - before).ToArray().Max(MathF.Abs);
        Assert.True(change > 1e-4f, $"target moved by only {change} after the moving-average update");
        var moved = byol.TargetProjections(x);
        byol.AfterStep(1, 10);                                                  // no new loss: no second update
        TestUtil.Close(moved, byol.TargetProjections(x), 0, 0);
    }

    [Fact]
    public void Byol_loss_is_the_sum_of_both_view_orders_of_prediction_against_target_projection()
    {
        var byol = TinyByol(seed: 4);
        var views = TwoViews(3);
        float expected;
        using (Grad.Disabled())
        {
            var p1 = byol.Predictor.Forward(byol.OnlineEncoder.Forward(views[0]));
            var p2 = byol.Predictor.Forward(byol.OnlineEncoder.Forward(views[1]));
            var z1 = byol.TargetProjections(views[0]); var z2 = byol.TargetProjections(views[1]);
            expected = ByolLoss.Loss(p1, z2).Item() + ByolLoss.Loss(p2, z1).Item();
        }
        var actual = byol.Loss(views, Indices).Item();
        Assert.Equal(expected, actual, 5);
        Assert.InRange(actual, 0f, 8f);
        Assert.Equal(4, byol.Predictor.Count);                                  // Linear, BN, ReLU, Linear
    }

    // ---- Barlow Twins wiring ----

    [Fact]
    public void Barlow_twins_loss_is_the_loss_of_the_projected_views_and_the_projector_has_no_biases()
    {
        var bt = TinyBarlow(seed: 4);
        var views = TwoViews(3);
        float expected;
        using (Grad.Disabled())
            expected = BarlowTwinsLoss.Loss(bt.Projector.Forward(bt.Backbone.Forward(views[0])),
                bt.Projector.Forward(bt.Backbone.Forward(views[1])), 0.0051f).Item();
        Assert.Equal(expected, bt.Loss(views, Indices).Item(), 4);
        Assert.Equal(7, bt.Projector.Count);                                    // Linear, BN, ReLU, Linear, BN, ReLU, Linear
        Assert.DoesNotContain(bt.StateDict().Keys, k => k.StartsWith("head.", StringComparison.Ordinal) && k.EndsWith(".0.bias", StringComparison.Ordinal));
        Assert.DoesNotContain("head.6.bias", bt.StateDict().Keys);
        Assert.Contains("head.6.weight", bt.StateDict().Keys);
    }

    // ---- registry, presets, training ----

    [Fact]
    public void Registry_builds_byol_and_barlowtwins_and_their_presets_hold_the_papers_values()
    {
        var tiny = TestUtil.TinyBackbone;
        Assert.IsType<Byol>(MethodRecipes.Get("BYOL").Create(((ByolOptions)new ByolRecipe().Small().Method) with { Backbone = tiny, Hidden = 16, Dim = 8 }, new Generator(1)));
        Assert.IsType<BarlowTwins>(MethodRecipes.Get("barlowtwins").Create(((BarlowTwinsOptions)new BarlowTwinsRecipe().Small().Method) with { Backbone = tiny, Hidden = 16, Dim = 8 }, new Generator(1)));
        Assert.Throws<ArgumentException>(() => MethodRecipes.Get("byol").Create(((BarlowTwinsOptions)new BarlowTwinsRecipe().Small().Method), new Generator(1)));
        Assert.Throws<ArgumentException>(() => MethodRecipes.Get("barlowtwins").Create(((ByolOptions)new ByolRecipe().Small().Method), new Generator(1)));

        var byolPreset = MethodRecipes.Get("byol").Paper();
        var byol = (ByolOptions)byolPreset.Method;
        Assert.Equal((4096, 256, 0.996f), (byol.Hidden, byol.Dim, byol.BaseMomentum));
        Assert.Equal(OptimizerKind.Lars, byolPreset.Optimizer.Kind);
        Assert.Equal(3.2f, byolPreset.Optimizer.LrFor(4096), 5);               // 0.2·B/256
        Assert.Equal(1.5e-6f, byolPreset.Optimizer.WeightDecay);
        Assert.Equal(0.99f, ((ByolOptions)MethodRecipes.Get("byol").Small().Method).BaseMomentum);

        var btPreset = MethodRecipes.Get("barlowtwins").Paper();
        var bt = (BarlowTwinsOptions)btPreset.Method;
        Assert.Equal((8192, 8192, 0.0051f), (bt.Hidden, bt.Dim, bt.Lambda));
        Assert.Equal(1.6f, btPreset.Optimizer.LrFor(2048), 5);                 // 0.2·B/256
        Assert.Equal(0.0048f, btPreset.Optimizer.BiasAndNormBaseLr);
        Assert.Equal(2048, ((BarlowTwinsOptions)MethodRecipes.Get("barlowtwins").Small().Method).Dim);
        foreach (var name in new[] { "byol", "barlowtwins" })
        {
            Assert.Equal(ResNetStem.Cifar, ((ResNet.Options)MethodRecipes.Get(name).Small().Method.Backbone).Stem);
            Assert.Equal(ResNetStem.ImageNet, ((ResNet.Options)MethodRecipes.Get(name).Paper().Method.Backbone).Stem);
        }
    }

    [Theory]
    [InlineData("byol")]
    [InlineData("barlowtwins")]
    public void A_few_LARS_steps_on_one_batch_give_finite_decreasing_losses_identical_for_any_thread_count(string name)
    {
        var one = Losses(name, threads: 1);
        Assert.All(one, l => Assert.True(float.IsFinite(l) && l > 0, $"loss {l}"));
        if (name == "byol") Assert.All(one, l => Assert.InRange(l, 0f, 8f));
        Assert.True(one[^1] < one[0], $"losses did not decrease: {string.Join(", ", one)}");
        Assert.Equal(one, Losses(name, threads: 3));
    }

    static float[] Losses(string name, int threads)
    {
        int saved = Workers.Threads;
        Workers.Threads = threads;
        try
        {
            MethodOptions options = name == "byol"
                ? ((ByolOptions)new ByolRecipe().Small().Method) with { Backbone = TestUtil.TinyBackbone, Hidden = 16, Dim = 8 }
                : ((BarlowTwinsOptions)new BarlowTwinsRecipe().Small().Method) with { Backbone = TestUtil.TinyBackbone, Hidden = 16, Dim = 8 };
            var method = MethodRecipes.Get(name).Create(options, new Generator(7));
            var opt = new Lars(method.OptimizerParameters(), lr: 0.5f, momentum: 0.9f, weightDecay: 1e-5f);
            var views = TwoViews(1);                                            // one batch: the loss should fall
            return Enumerable.Range(0, 5).Select(s => TestUtil.Step(method, opt, views, Indices, s, 5)).ToArray();
        }
        finally { Workers.Threads = saved; }
    }
}
