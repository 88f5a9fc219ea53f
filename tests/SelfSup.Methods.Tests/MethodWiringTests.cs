using SelfSup.Training;
using SelfSup.Engine.IO;
using SelfSup.Engine.Kernels;

namespace SelfSup.Methods.Tests;

public class MethodWiringTests
{
    static MoCo TinyMoCo(int bnSplits = 2, ulong seed = 1) => new("mocov2",
        ((MoCoOptions)MoCoRecipe.V2.Small().Method) with { Backbone = TestUtil.TinyBackbone, Dim = 8, QueueSize = 16, BnSplits = bnSplits }, new Generator(seed));

    static InstDisc TinyInstDisc(int nceK = 5, float lambda = 0, ulong seed = 1) =>
        new(((InstDiscOptions)new InstDiscRecipe().Small().Method) with { Backbone = TestUtil.TinyBackbone, Dim = 8, NceK = nceK, ProximalLambda = lambda }, 12, new Generator(seed));

    static Tensor[] TwoViews(ulong seed) => [TestUtil.Images(seed), TestUtil.Images(seed + 100)];
    static readonly int[] Indices = [3, 7, 0, 11];

    [Fact]
    public void MoCo_key_encoder_receives_no_gradient_and_is_not_optimised()
    {
        var moco = TinyMoCo();
        moco.Loss(TwoViews(1), Indices).Backward();
        Assert.All(moco.KeyEncoder.Parameters(), p => Assert.Null(p.Grad));
        Assert.All(moco.QueryEncoder.Parameters(), p => Assert.NotNull(p.Grad));
        var optimised = moco.OptimizerParameters().Select(p => p.Name).ToList();
        Assert.DoesNotContain(optimised, n => n.StartsWith("key.", StringComparison.Ordinal));
        Assert.Equal(moco.QueryEncoder.Parameters().Count(), optimised.Count);
        Assert.Contains("backbone.layer1.0.conv1.weight", optimised);
    }

    [Fact]
    public void MoCo_key_encoder_starts_as_a_copy_and_moves_toward_the_query_by_exactly_one_minus_m_after_the_step()
    {
        var moco = TinyMoCo();
        Assert.Equal(moco.QueryEncoder.Parameters().Select(p => p.ToArray()), moco.KeyEncoder.Parameters().Select(p => p.ToArray()));
        var opt = new Sgd(moco.OptimizerParameters(), lr: 0.5f, momentum: 0.9f);
        var loss = moco.Loss(TwoViews(1), Indices);
        opt.ZeroGrad(); loss.Backward(); opt.Step();
        var keyBefore = moco.KeyEncoder.Parameters().Select(p => p.ToArray()).ToList();
        var queryAfterStep = moco.QueryEncoder.Parameters().Select(p => p.ToArray()).ToList();
        Assert.NotEqual(keyBefore[0], queryAfterStep[0]);                       // the step moved the query away
        moco.AfterStep(0, 10);
        var keyAfter = moco.KeyEncoder.Parameters().Select(p => p.ToArray()).ToList();
        float m = 0.99f;
        for (int i = 0; i < keyAfter.Count; i++)
            for (int j = 0; j < keyAfter[i].Length; j++)
                Assert.Equal(m * keyBefore[i][j] + (1 - m) * queryAfterStep[i][j], keyAfter[i][j]);
    }

    [Fact]
    public void MoCo_key_output_ignores_query_weights_until_AfterStep()
    {
        var moco = TinyMoCo(bnSplits: 1);                                       // one group: keys do not depend on the shuffle
        var x = TestUtil.Images(5);
        var before = moco.Keys(x);
        moco.Loss(TwoViews(1), Indices);
        foreach (var p in moco.QueryEncoder.Parameters()) { var s = p.Span; for (int i = 0; i < s.Length; i++) s[i] += 0.05f; }
        TestUtil.Close(before, moco.Keys(x), 1e-6f, 1e-5f);                    // only the shuffle's summation order differs
        moco.AfterStep(0, 10);
        var change = (moco.Keys(x) - before).ToArray().Max(MathF.Abs);
        Assert.True(change > 1e-4f, $"keys moved by only {change} after the momentum update");
    }

    [Fact]
    public void MoCo_enqueues_the_steps_keys_and_the_pointer_advances_by_the_batch_and_wraps()
    {
        var moco = TinyMoCo(bnSplits: 1);
        var opt = new Sgd(moco.OptimizerParameters(), lr: 0.1f);
        var pointers = new List<int>();
        for (int step = 0; step < 5; step++)
        {
            var views = TwoViews((ulong)step);
            var expectedKeys = moco.Keys(views[1]);                             // same key weights as inside Loss
            int at = moco.Queue.Pointer;
            TestUtil.Step(moco, opt, views, Indices, step, 5);
            TestUtil.Close(expectedKeys, moco.Queue.Keys.Narrow(0, at, 4), 1e-6f, 1e-5f);
            pointers.Add(moco.Queue.Pointer);
        }
        Assert.Equal([4, 8, 12, 0, 4], pointers);
    }

    [Fact]
    public void MoCo_rejects_a_batch_that_does_not_divide_the_queue()
    {
        var moco = TinyMoCo();
        Tensor[] views = [TestUtil.Images(1, n: 6), TestUtil.Images(2, n: 6)];
        Assert.Throws<ArgumentException>(() => moco.Loss(views, [0, 1, 2, 3, 4, 5]));
    }

    [Fact]
    public void InstDisc_writes_each_samples_bank_row_once_per_step_with_the_momentum_formula()
    {
        var inst = TinyInstDisc();
        var opt = new Sgd(inst.OptimizerParameters(), lr: 0.1f);
        var x = TestUtil.Images(3);
        Tensor f;
        using (Grad.Disabled()) f = inst.Embed(x);                              // what Loss sees (train-mode BN, same weights)
        var bankBefore = inst.Bank.Rows.Clone();
        inst.Loss([x], Indices).Backward();
        TestUtil.Close(bankBefore, inst.Bank.Rows, 0, 0);                       // nothing written during the loss
        opt.Step();
        inst.AfterStep(0, 10);
        for (int r = 0; r < 12; r++)
        {
            int b = Array.IndexOf(Indices, r);
            var row = inst.Bank.Rows.Narrow(0, r, 1);
            if (b < 0) { TestUtil.Close(bankBefore.Narrow(0, r, 1), row, 0, 0); continue; }
            var mixed = 0.5f * bankBefore.Narrow(0, r, 1) + 0.5f * f.Narrow(0, b, 1);
            TestUtil.Close(Ops.Normalize(mixed, 1), row, 1e-6f, 1e-5f);
        }
        inst.AfterStep(1, 10);                                                  // no new loss: no second write
        TestUtil.Close(Ops.Normalize(0.5f * bankBefore.Narrow(0, 3, 1) + 0.5f * f.Narrow(0, 0, 1), 1), inst.Bank.Rows.Narrow(0, 3, 1), 1e-6f, 1e-5f);
    }

    [Fact]
    public void InstDisc_estimates_Z_from_the_first_batch_only()
    {
        var inst = TinyInstDisc();
        var opt = new Sgd(inst.OptimizerParameters(), lr: 0.1f);
        Assert.Equal(-1f, inst.Z);
        TestUtil.Step(inst, opt, [TestUtil.Images(1)], Indices, 0, 3);
        float z = inst.Z;
        Assert.True(z > 0);
        TestUtil.Step(inst, opt, [TestUtil.Images(2)], Indices, 1, 3);
        Assert.Equal(z, inst.Z);
    }

    [Fact]
    public void InstDisc_proximal_term_adds_lambda_times_the_mean_squared_distance_to_the_bank()
    {
        var plain = TinyInstDisc(nceK: 0); var prox = TinyInstDisc(nceK: 0, lambda: 30);
        var x = TestUtil.Images(4);
        float l0 = plain.Loss([x], Indices).Item(), l1 = prox.Loss([x], Indices).Item();
        Tensor f;
        using (Grad.Disabled()) f = plain.Embed(x);
        var d = f - Ops.IndexSelect(plain.Bank.Rows, 0, Indices);
        float expected = 30 * Ops.Sum(d * d).Item() / 4;
        Assert.Equal(expected, l1 - l0, 3);
        Assert.True(expected > 1);
    }

    [Fact]
    public void InstDisc_full_softmax_is_cross_entropy_over_the_whole_bank()
    {
        var inst = TinyInstDisc(nceK: 0);
        var x = TestUtil.Images(4);
        Tensor f;
        using (Grad.Disabled()) f = inst.Embed(x);
        var expected = Ops.CrossEntropy(Ops.MatMul(f, inst.Bank.Rows.T) / 0.1f, new IntTensor(Indices, 4)).Item();
        Assert.Equal(expected, inst.Loss([x], Indices).Item(), 5);
    }

    [Theory]
    [InlineData("instdisc")]
    [InlineData("mocov1")]
    [InlineData("mocov2")]
    [InlineData("simclr")]
    public void Same_seed_gives_the_same_losses_whatever_the_thread_count(string name)
    {
        var one = ThreeLosses(name, threads: 1);
        Assert.All(one, l => Assert.True(float.IsFinite(l) && l > 0));
        Assert.Equal(one, ThreeLosses(name, threads: 1));                      // reproducible
        var three = ThreeLosses(name, threads: 3);
        Assert.Equal(one[0], three[0]);                                         // forward (shuffles, noise draws, scores): bit-identical
        Assert.Equal(one, three);                                               // and after the steps too
    }

    [Theory]
    [InlineData("mocov2")]
    [InlineData("simclr")]
    [InlineData("instdisc")]
    public void Same_seed_gives_bit_identical_losses_for_three_steps_whatever_the_thread_count(string name) =>
        Assert.Equal(ThreeLosses(name, threads: 1), ThreeLosses(name, threads: 3));

    static float[] ThreeLosses(string name, int threads)
    {
        int saved = Workers.Threads;
        Workers.Threads = threads;
        try
        {
            var method = Create(name, seed: 7);
            var opt = new Sgd(method.OptimizerParameters(), lr: 0.05f, momentum: 0.9f);
            return Enumerable.Range(0, 3).Select(s =>
                TestUtil.Step(method, opt, TwoViews((ulong)s).Take(method.ViewCount).ToArray(), Indices, s, 3)).ToArray();
        }
        finally { Workers.Threads = saved; }
    }

    [Fact]
    public void Checkpoint_round_trip_continues_with_identical_losses()
    {
        foreach (var name in new[] { "instdisc", "mocov2" })
        {
            var a = Create(name, seed: 1);
            var opt = new Sgd(a.OptimizerParameters(), lr: 0.05f);
            TestUtil.Step(a, opt, TwoViews(1).Take(a.ViewCount).ToArray(), Indices, 0, 3);
            var weights = SafeTensors.Deserialize(SafeTensors.Serialize(a.StateDict()), "weights");
            var extra = SafeTensors.Deserialize(SafeTensors.Serialize(a.ExtraState()), "extra");
            var b = Create(name, seed: 2);
            b.LoadStateDict(weights);
            b.LoadExtraState(extra);
            var views = TwoViews(2).Take(a.ViewCount).ToArray();
            Assert.Equal(a.Loss(views, Indices).Item(), b.Loss(views, Indices).Item());
        }
    }

    [Fact]
    public void Registry_lists_the_eight_methods_and_builds_each_from_its_presets()
    {
        Assert.Equal(["instdisc", "mocov1", "mocov2", "simclr", "byol", "barlowtwins", "mocov3", "densecl"], MethodRecipes.Names);
        foreach (var info in MethodRecipes.All)
        {
            Assert.False(string.IsNullOrEmpty(info.Citation));
            Assert.Equal(ResNetStem.Cifar, ((ResNet.Options)info.Small().Method.Backbone).Stem);
            Assert.Equal(ResNetStem.ImageNet, ((ResNet.Options)info.Paper().Method.Backbone).Stem);
            var method = Create(info.Name, seed: 3);
            Assert.Equal(info.Name, method.Name);
            Assert.Contains(method.StateDict().Keys, k => k.StartsWith("backbone.", StringComparison.Ordinal));
            Assert.Equal(0, ((ResNet)method.Backbone).Config.NumClasses);
        }
        Assert.Equal(0.1f, ((MoCoOptions)MethodRecipes.Get("mocov2").Small().Method).Temperature);
        Assert.Equal(0.2f, ((MoCoOptions)MethodRecipes.Get("mocov2").Paper().Method).Temperature);
        Assert.Equal(4096, ((MoCoOptions)MethodRecipes.Get("mocov1").Small().Method).QueueSize);
        Assert.Equal(0.5f, ((SimClrOptions)MethodRecipes.Get("simclr").Small().Method).Temperature);
        Assert.Equal(0.1f, ((InstDiscOptions)MethodRecipes.Get("instdisc").Small().Method).Temperature);
        Assert.Equal(1.2f, new SimClrRecipe().Paper().Optimizer.LrFor(1024), 5);
        Assert.Equal(0.075f * 32, SimClrRecipe.WithSqrtScaling(new SimClrRecipe().Paper()).Optimizer.LrFor(1024), 5);
        Assert.Equal(2f, new SimClrRecipe().Paper().Optimizer.WarmupEpochsFor(20), 5);
        Assert.Throws<ArgumentException>(() => MethodRecipes.Get("byol2").Create(((SimClrOptions)new SimClrRecipe().Small().Method), new Generator(1)));
        Assert.Throws<ArgumentException>(() => MethodRecipes.Get("simclr").Create(((MoCoOptions)MoCoRecipe.V2.Small().Method), new Generator(1)));
        Assert.Throws<ArgumentException>(() => MethodRecipes.Get("instdisc").Create(((InstDiscOptions)new InstDiscRecipe().Small().Method), new Generator(1)));   // no dataset size
    }

    [Fact]
    public void SimClr_loss_is_NtXent_of_the_projected_views_with_batch_norm_over_all_2N()
    {
        var simclr = (SimClr)Create("simclr", seed: 4);
        var views = TwoViews(3);
        Tensor z;
        using (Grad.Disabled()) z = simclr.Head.Forward(simclr.Backbone.Forward(Ops.Cat(views, 0)));
        var expected = NtXent.Loss(z.Narrow(0, 0, 4), z.Narrow(0, 4, 4), 0.5f).Item();
        Assert.Equal(expected, simclr.Loss(views, Indices).Item(), 5);
        Assert.Equal(4, simclr.Head.Count);                                     // Linear, BN, ReLU, Linear
    }

    static SslMethod Create(string name, ulong seed)
    {
        MethodOptions options = MethodRecipes.Get(name).Small().Method switch
        {
            MoCoOptions o => o with { QueueSize = 16, BnSplits = 2 },
            var o => o,
        };
        options = options with { Backbone = TestUtil.TinyBackbone, Dim = 8 };
        if (options is InstDiscOptions i) options = i with { NceK = 5 };
        return MethodRecipes.Get(name).Create(options, new Generator(seed), datasetSize: 12);
    }
}
