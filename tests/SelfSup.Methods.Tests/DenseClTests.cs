using SelfSup.Training;
using SelfSup.Engine.IO;

namespace SelfSup.Methods.Tests;

public class DenseClTests
{
    const float M = 0.99f;

    static DenseCl Tiny(int bnSplits = 2, int warmup = 0, ulong seed = 1) => new(
        ((DenseClOptions)new DenseClRecipe().Small().Method) with { Backbone = TestUtil.TinyBackbone, Hidden = 12, Dim = 8, QueueSize = 16, BnSplits = bnSplits, LossLambdaWarmupSteps = warmup },
        new Generator(seed));

    /// <summary>16×16 images: the tiny CIFAR-stem ResNet's last maps are 2×2, so there are 4 locations to match.</summary>
    static Tensor[] TwoViews(ulong seed) => [TestUtil.Images(seed, size: 16), TestUtil.Images(seed + 100, size: 16)];
    static readonly int[] Indices = [3, 7, 0, 11];

    static void Perturb(IEnumerable<Tensor> parameters, float by)
    {
        foreach (var p in parameters) { var s = p.Span; for (int i = 0; i < s.Length; i++) s[i] += by; }
    }

    [Fact]
    public void Key_branch_gets_no_gradient_and_is_not_optimised_while_backbone_and_both_heads_are()
    {
        var method = Tiny();
        method.Loss(TwoViews(1), Indices).Backward();
        Assert.All(method.KeyEncoder.Parameters(), p => Assert.Null(p.Grad));
        Assert.All(method.QueryEncoder.Parameters(), p => Assert.NotNull(p.Grad));
        Assert.True(method.QueryEncoder.Neck.Dense.Parameters().All(p => p.Grad!.ToArray().Any(v => v != 0)));   // dense head trained
        var optimised = method.OptimizerParameters().Select(p => p.Name).ToList();
        Assert.DoesNotContain(optimised, n => n.StartsWith("key.", StringComparison.Ordinal));
        Assert.Equal(method.QueryEncoder.Parameters().Count(), optimised.Count);
        Assert.Contains("neck.mlp.0.weight", optimised);
        Assert.Contains("neck.mlp2.2.bias", optimised);
        Assert.Contains("key.neck.mlp2.0.weight", method.StateDict().Keys);
    }

    [Fact]
    public void After_the_step_every_key_weight_is_exactly_m_key_plus_one_minus_m_query()
    {
        var method = Tiny();
        Assert.Equal(method.QueryEncoder.Parameters().Select(p => p.ToArray()), method.KeyEncoder.Parameters().Select(p => p.ToArray()));
        var opt = new Sgd(method.OptimizerParameters(), lr: 0.5f, momentum: 0.9f);
        var loss = method.Loss(TwoViews(1), Indices);
        opt.ZeroGrad(); loss.Backward(); opt.Step();
        var keyBefore = method.KeyEncoder.Parameters().Select(p => p.ToArray()).ToList();
        var query = method.QueryEncoder.Parameters().Select(p => p.ToArray()).ToList();
        Assert.NotEqual(keyBefore[^1], query[^1]);                              // the step moved the dense head
        method.AfterStep(0, 10);
        var keyAfter = method.KeyEncoder.Parameters().Select(p => p.ToArray()).ToList();
        Assert.Equal(query.Count, keyAfter.Count);
        for (int i = 0; i < keyAfter.Count; i++)
            for (int j = 0; j < keyAfter[i].Length; j++)
                Assert.Equal(M * keyBefore[i][j] + (1 - M) * query[i][j], keyAfter[i][j]);
    }

    [Fact]
    public void Keys_come_from_the_momentum_heads_and_ignore_perturbed_query_heads_until_AfterStep()
    {
        var method = Tiny(bnSplits: 1);                                         // one group: keys do not depend on the shuffle
        var x = TestUtil.Images(5, size: 16);
        var before = method.Keys(x);
        method.Loss(TwoViews(1), Indices);
        Perturb(method.QueryEncoder.Neck.Parameters(), 0.5f);
        var same = method.Keys(x);
        TestUtil.Close(before.Global, same.Global, 1e-5f, 1e-4f);
        TestUtil.Close(before.Grid, same.Grid, 1e-5f, 1e-4f);
        TestUtil.Close(before.PooledGrid, same.PooledGrid, 1e-5f, 1e-4f);
        TestUtil.Close(before.Maps, same.Maps, 1e-5f, 1e-4f);
        method.AfterStep(0, 10);
        var after = method.Keys(x);                                             // shuffled batch: BN sums in another order, hence the tolerances
        TestUtil.Close(before.Maps, after.Maps, 1e-5f, 1e-4f);                  // only the heads were perturbed
        foreach (var (b, a) in new[] { (before.Global, after.Global), (before.Grid, after.Grid), (before.PooledGrid, after.PooledGrid) })
        {
            float change = (a - b).ToArray().Max(MathF.Abs);
            Assert.True(change > 1e-3f, $"keys moved by only {change} after the momentum update of the heads");
        }
    }

    [Fact]
    public void Both_queues_advance_by_N_and_hold_the_normalised_global_keys_and_pooled_dense_keys()
    {
        var method = Tiny(bnSplits: 1);
        var views = TwoViews(2);
        var expected = method.Keys(views[1]);                                   // key weights are unchanged until AfterStep
        Tensor pooled;
        using (Grad.Disabled())
        {
            var grid = method.KeyEncoder.Neck.Project(method.KeyEncoder.Forward(views[1])).Grid;   // (N, D, S) raw
            pooled = Ops.Normalize(Ops.Mean(grid, 2), 1);                       // normalise(mean_s t)
        }
        var oldDense = method.DenseQueue.Keys.Narrow(0, 4, 12).Clone();
        method.Loss(views, Indices);
        Assert.Equal(0, method.GlobalQueue.Pointer);                            // Loss changes no state
        method.AfterStep(0, 10);
        Assert.Equal(4, method.GlobalQueue.Pointer);
        Assert.Equal(4, method.DenseQueue.Pointer);
        TestUtil.Close(expected.Global, method.GlobalQueue.Keys.Narrow(0, 0, 4), 1e-6f, 1e-4f);
        TestUtil.Close(pooled, method.DenseQueue.Keys.Narrow(0, 0, 4), 1e-6f, 1e-4f);
        TestUtil.Close(oldDense, method.DenseQueue.Keys.Narrow(0, 4, 12), 0, 0);   // the other rows untouched
        foreach (var row in Enumerable.Range(0, 4))
            Assert.Equal(1f, MathF.Sqrt(method.DenseQueue.Keys.Narrow(0, row, 1).ToArray().Sum(v => v * v)), 5);
    }

    [Fact]
    public void Loss_is_the_weighted_sum_of_global_InfoNCE_and_dense_loss_matched_on_backbone_maps()
    {
        var method = Tiny(bnSplits: 1);
        var views = TwoViews(3);
        float expected;
        using (Grad.Disabled())
        {
            var maps = method.QueryEncoder.Forward(views[0]);                   // (N, F, h, w)
            var p = method.QueryEncoder.Neck.Project(maps);
            var k = method.Keys(views[1]);
            var match = DenseContrastiveLoss.Correspondence(maps, k.Maps);
            var g = InfoNce.WithQueue(Ops.Normalize(p.Global, 1), k.Global, method.GlobalQueue.Keys, 0.2f).Item();
            var d = DenseContrastiveLoss.Loss(Ops.Normalize(p.Grid, 1), k.Grid, match, method.DenseQueue.Keys, 0.2f).Item();
            expected = 0.5f * g + 0.5f * d;
        }
        TestUtil.Close(expected, method.Loss(views, Indices).Item(), 1e-5f, 1e-4f);
        Assert.Equal(0.5f * method.LastTerms.Global + 0.5f * method.LastTerms.Dense, expected, 4);
    }

    [Fact]
    public void Lambda_is_zero_for_the_warmup_steps_then_one_half()
    {
        var method = Tiny(warmup: 2);
        Assert.Equal([0f, 0f, 0.5f, 0.5f], new[] { 0, 1, 2, 3 }.Select(method.LambdaAt));
        var opt = new Sgd(method.OptimizerParameters(), lr: 0.01f);
        for (int step = 0; step < 3; step++)
        {
            float loss = TestUtil.Step(method, opt, TwoViews((ulong)step), Indices, step, 3);
            var (g, d) = method.LastTerms;
            Assert.Equal(step < 2 ? g : 0.5f * g + 0.5f * d, loss, 5);
            Assert.NotEqual(g, d);
        }
        Assert.Equal(3, method.ExtraState().Int("step").Data[0]);
    }

    [Fact]
    public void Checkpoint_round_trip_restores_both_queues_pointers_shuffle_and_step_and_continues_identically()
    {
        var a = Tiny(warmup: 1, seed: 1);
        var opt = new Sgd(a.OptimizerParameters(), lr: 0.05f);
        TestUtil.Step(a, opt, TwoViews(1), Indices, 0, 3);
        var weights = SafeTensors.Deserialize(SafeTensors.Serialize(a.StateDict()), "weights");
        var extra = SafeTensors.Deserialize(SafeTensors.Serialize(a.ExtraState()), "extra");
        Assert.Equal(["queue", "queue_ptr", "dense_queue", "dense_queue_ptr", "shuffle_rng", "step"], extra.Keys);
        var b = Tiny(warmup: 1, seed: 2);
        b.LoadStateDict(weights);
        b.LoadExtraState(extra);
        Assert.Equal(4, b.DenseQueue.Pointer);
        Assert.Equal(a.DenseQueue.Keys.ToArray(), b.DenseQueue.Keys.ToArray());
        var views = TwoViews(2);
        Assert.Equal(a.Loss(views, Indices).Item(), b.Loss(views, Indices).Item());   // λ 0.5 on both (step 1 ≥ warm-up)
        Assert.Equal(a.LastTerms, b.LastTerms);
    }

    [Fact]
    public void Registry_builds_densecl_and_its_presets_hold_the_papers_and_the_small_values()
    {
        var paperPreset = MethodRecipes.Get("densecl").Paper();
        var paper = (DenseClOptions)paperPreset.Method;
        Assert.Equal((50, 2048, 128, 65536, 0.999f, 0.2f, 0.5f, 0, 8), (((ResNet.Options)paper.Backbone).Depth, paper.Hidden, paper.Dim, paper.QueueSize, paper.Momentum, paper.Temperature, paper.LossLambda, paper.LossLambdaWarmupSteps, paper.BnSplits));
        Assert.Equal(0.03f, paperPreset.Optimizer.LrFor(256), 6);
        Assert.Equal((LrScheduleKind.Cosine, 1e-4f, 0.9f, 200), (paperPreset.Optimizer.Schedule, paperPreset.Optimizer.WeightDecay, paperPreset.Optimizer.Momentum, paperPreset.Optimizer.Epochs));
        var smallPreset = MethodRecipes.Get("densecl").Small();
        var small = (DenseClOptions)smallPreset.Method;
        Assert.Equal((512, 128, 4096, 0.99f, 0.2f, 0.5f, 8), (small.Hidden, small.Dim, small.QueueSize, small.Momentum, small.Temperature, small.LossLambda, small.BnSplits));
        Assert.Equal(((MoCoOptions)MoCoRecipe.V2.Small().Method).Backbone, small.Backbone);
        var moco = MoCoRecipe.V2.Small().Optimizer;
        var o = smallPreset.Optimizer;
        Assert.Equal((moco.Kind, moco.BaseLr, moco.Scaling, moco.Momentum, moco.WeightDecay, moco.Schedule, moco.WarmupEpochs, moco.BatchSize, moco.Epochs),
            (o.Kind, o.BaseLr, o.Scaling, o.Momentum, o.WeightDecay, o.Schedule, o.WarmupEpochs, o.BatchSize, o.Epochs));
        var method = MethodRecipes.Get("densecl").Create(small with { Backbone = TestUtil.TinyBackbone, Hidden = 12, Dim = 8, QueueSize = 16 }, new Generator(1));
        Assert.IsType<DenseCl>(method);
        Assert.Throws<ArgumentException>(() => MethodRecipes.Get("densecl").Create(((MoCoOptions)MoCoRecipe.V2.Small().Method), new Generator(1)));
        Assert.Throws<ArgumentException>(() => new DenseCl(small with { LossLambda = 1.5f }, new Generator(1)));
    }
}
