using SelfSup.Training;
namespace SelfSup.Methods.Tests;

public class MoCoV3Tests
{
    /// <summary>MoCo v3's preset for <paramref name="backbone"/> (its ResNet or ViT recipe).</summary>
    static Preset ForBackbone(BackboneOptions backbone, bool small) =>
        new MoCoV3Recipe().ForBackbone(new MoCoV3Recipe().Defaults(small ? PresetNames.Small : PresetNames.Paper), backbone, small);

    static readonly int[] Indices = [3, 7, 0, 11];
    static Tensor[] TwoViews(ulong seed, int size = 8) => [TestUtil.Images(seed, size: size), TestUtil.Images(seed + 100, size: size)];
    static List<float[]> Values(Module m) => m.Parameters().Select(p => p.ToArray()).ToList();

    static MoCoV3 TinyResNet(ulong seed = 1) =>
        new(((MoCoV3Options)ForBackbone(TestUtil.TinyBackbone, small: true).Method) with { Hidden = 16, Dim = 8 }, new Generator(seed));

    /// <summary>ViT with D 32, 2 blocks, 2 heads on 28 px grey images in patches of 4 (7×7 tokens).</summary>
    static VisionTransformer.Options TinyVit => new(ImageSize: 28, PatchSize: 4, InChannels: 1, EmbedDim: 32, Depth: 2, NumHeads: 2, MlpDim: 64);

    static MoCoV3 TinyVitMoCo(ulong seed = 1) =>
        new(((MoCoV3Options)ForBackbone(TinyVit, small: true).Method) with { Hidden = 16, Dim = 8 }, new Generator(seed));

    // ---- loss ----

    [Fact]
    public void Loss_equals_a_hand_computed_value_on_a_two_sample_example()
    {
        // ctr(q₁, k₂): unit logits I/τ with τ = 1 → each row's CE is log(1 + e⁻¹), times 2τ = 2.
        var q1 = Tensor.From([3f, 0f, 0f, 2f], 2, 2); var k2 = Tensor.From([1f, 0f, 0f, 5f], 2, 2);
        // ctr(q₂, k₁): q₂ rows (1,1)/√2 and (1,0), k₁ rows (1,0), (0,1). Row 0: logits (1/√2, 1/√2) → log 2;
        // row 1: logits (1, 0) with label 1 → log(1 + e).
        var q2 = Tensor.From([1f, 1f, 1f, 0f], 2, 2); var k1 = Tensor.From([4f, 0f, 0f, 2f], 2, 2);
        double first = 2 * Math.Log(1 + Math.Exp(-1));
        double second = Math.Log(2) + Math.Log(1 + Math.E);
        Assert.Equal(first, MoCoV3Loss.Contrastive(q1, k2, 1f).Item(), 5);
        Assert.Equal(first + second, MoCoV3Loss.Symmetric(q1, q2, k1, k2, 1f).Item(), 5);
        // τ = 0.5 on the first pair: 2τ·log(1 + e^(−1/τ)).
        Assert.Equal(Math.Log(1 + Math.Exp(-2)), MoCoV3Loss.Contrastive(q1, k2, 0.5f).Item(), 5);
    }

    [Theory]
    [InlineData("t1.0", 1.0f)]
    [InlineData("t0.2", 0.2f)]
    public void Loss_matches_the_official_formulation_in_value_and_gradient(string key, float temperature)
    {
        var f = TestUtil.Fixture("mocov3_loss.safetensors");
        var q1 = TestUtil.Leaf(f.Float("q1")); var q2 = TestUtil.Leaf(f.Float("q2"));
        var k1 = TestUtil.Leaf(f.Float("k1")); var k2 = TestUtil.Leaf(f.Float("k2"));
        var loss = MoCoV3Loss.Symmetric(q1, q2, k1, k2, temperature);
        TestUtil.Close(f.Float(key + ".loss").Item(), loss.Item(), 1e-6f, 1e-4f);
        loss.Backward();
        TestUtil.Close(f.Float(key + ".grad_q1"), q1.Grad!, 1e-6f, 1e-4f);
        TestUtil.Close(f.Float(key + ".grad_q2"), q2.Grad!, 1e-6f, 1e-4f);
        Assert.Null(k1.Grad);                                                   // keys are constants (no_grad in the official)
        Assert.Null(k2.Grad);
    }

    [Fact]
    public void Method_loss_is_symmetric_in_the_two_views_and_differs_from_pairing_a_view_with_itself()
    {
        var moco = TinyResNet(seed: 4);
        var views = TwoViews(3);
        float forward = moco.Loss(views, Indices).Item();
        float swapped = moco.Loss([views[1], views[0]], Indices).Item();
        Assert.Equal(forward, swapped, 5);
        float expected, samePairs;
        using (Grad.Disabled())
        {
            var q1 = moco.Predictor.Forward(moco.BaseEncoder.Forward(views[0]));
            var q2 = moco.Predictor.Forward(moco.BaseEncoder.Forward(views[1]));
            var k1 = moco.Keys(views[0]); var k2 = moco.Keys(views[1]);
            expected = MoCoV3Loss.Contrastive(q1, k2, 1f).Item() + MoCoV3Loss.Contrastive(q2, k1, 1f).Item();
            samePairs = MoCoV3Loss.Contrastive(q1, k1, 1f).Item() + MoCoV3Loss.Contrastive(q2, k2, 1f).Item();
        }
        Assert.Equal(expected, forward, 5);
        Assert.True(MathF.Abs(samePairs - forward) > 1e-3f, $"cross-view and same-view pairings agree ({forward})");
    }

    // ---- wiring ----

    [Fact]
    public void Momentum_encoder_gets_no_gradient_is_not_optimised_and_heads_follow_builder_py()
    {
        var moco = TinyResNet();
        moco.Loss(TwoViews(1), Indices).Backward();
        Assert.All(moco.MomentumEncoderCopy.Parameters(), p => Assert.Null(p.Grad));
        Assert.All(moco.BaseEncoder.Parameters(), p => Assert.NotNull(p.Grad));
        Assert.All(moco.Predictor.Parameters(), p => Assert.NotNull(p.Grad));
        var optimised = moco.OptimizerParameters().Select(p => p.Name).ToList();
        Assert.DoesNotContain(optimised, n => n.StartsWith("momentum.", StringComparison.Ordinal));
        Assert.Equal(moco.BaseEncoder.Parameters().Count() + moco.Predictor.Parameters().Count(), optimised.Count);
        var keys = moco.StateDict().Keys.ToHashSet();
        // Projector: 0 Linear(no bias), 1 BN, 2 ReLU, 3 Linear(no bias), 4 BN(affine=False). Predictor: no last BN.
        Assert.Contains("head.1.weight", keys); Assert.Contains("head.4.running_mean", keys);
        Assert.DoesNotContain("head.0.bias", keys); Assert.DoesNotContain("head.3.bias", keys); Assert.DoesNotContain("head.4.weight", keys);
        Assert.Equal(5, ((Mlp)moco.BaseEncoder.Head).Count);
        Assert.Equal(4, moco.Predictor.Count);
        Assert.Equal(new[] { 8, 16, 8 }, moco.Predictor.Dims);
        Assert.Contains("momentum.head.4.running_var", keys);
        Assert.Contains("momentum.backbone.conv1.weight", keys);
    }

    [Fact]
    public void AfterStep_moves_the_momentum_encoder_to_exactly_m_k_plus_one_minus_m_q_for_the_cosine_m()
    {
        var moco = TinyResNet();
        Assert.Equal(Values(moco.BaseEncoder), Values(moco.MomentumEncoderCopy));
        var opt = new Lars(moco.OptimizerParameters(), lr: 0.5f, momentum: 0.9f, weightDecay: 1e-6f);
        var loss = moco.Loss(TwoViews(1), Indices);
        opt.ZeroGrad(); loss.Backward(); opt.Step();
        var keyBefore = Values(moco.MomentumEncoderCopy);
        var queryAfterStep = Values(moco.BaseEncoder);
        Assert.NotEqual(keyBefore[0], queryAfterStep[0]);
        moco.AfterStep(7, 20);
        float m = (float)(1 - 0.5 * (1 + Math.Cos(Math.PI * 7 / 20)) * (1 - (double)0.99f));
        Assert.Equal(m, moco.MomentumAt(7, 20));
        Assert.Equal(0.99f, moco.MomentumAt(0, 20));
        Assert.Equal(1f, moco.MomentumAt(20, 20));
        var keyAfter = Values(moco.MomentumEncoderCopy);
        for (int i = 0; i < keyAfter.Count; i++)
            for (int j = 0; j < keyAfter[i].Length; j++)
                Assert.Equal(m * keyBefore[i][j] + (1 - m) * queryAfterStep[i][j], keyAfter[i][j]);
    }

    [Fact]
    public void Momentum_branch_ignores_base_weights_until_AfterStep()
    {
        var moco = TinyResNet();
        var x = TestUtil.Images(5);
        var before = moco.Keys(x);
        moco.AfterStep(0, 10);                                                  // no loss yet: nothing to do
        moco.Loss(TwoViews(1), Indices);
        foreach (var p in moco.BaseEncoder.Parameters()) { var s = p.Span; for (int i = 0; i < s.Length; i++) s[i] += 0.05f; }
        TestUtil.Close(before, moco.Keys(x), 0, 0);
        moco.AfterStep(0, 10);
        var change = (moco.Keys(x) - before).ToArray().Max(MathF.Abs);
        Assert.True(change > 1e-4f, $"momentum branch moved by only {change} after the update");
    }

    [Fact]
    public void Vit_patch_projection_stays_bit_identical_under_AdamW_while_other_weights_move()
    {
        var moco = TinyVitMoCo();
        var vit = (VisionTransformer)moco.Backbone;
        Assert.True(vit.Config.FreezePatchProjection);
        var projection = vit.PatchEmbed.Proj.Weight.ToArray(); var projectionBias = vit.PatchEmbed.Proj.Bias!.ToArray();
        var names = moco.OptimizerParameters().Select(p => p.Name).ToList();
        Assert.DoesNotContain("backbone.patch_embed.proj.weight", names);
        Assert.DoesNotContain("backbone.pos_embed", names);
        var others = moco.OptimizerParameters().ToDictionary(p => p.Name, p => p.Param.ToArray());
        var o = ForBackbone(TinyVit, small: true).Optimizer;
        var opt = new AdamW(moco.OptimizerParameters(), lr: 1e-3f, beta1: o.Momentum, weightDecay: o.WeightDecay);
        var views = TwoViews(2, size: 28);
        for (int step = 0; step < 3; step++) TestUtil.Step(moco, opt, views, Indices, step, 10);
        Assert.Equal(projection, vit.PatchEmbed.Proj.Weight.ToArray());
        Assert.Equal(projectionBias, vit.PatchEmbed.Proj.Bias!.ToArray());
        // The momentum copy averages it with itself: m·w + (1−m)·w, equal up to rounding (as the official code's).
        var momentumVit = (VisionTransformer)moco.MomentumEncoderCopy.Backbone;
        TestUtil.Close(vit.PatchEmbed.Proj.Weight, momentumVit.PatchEmbed.Proj.Weight, 1e-6f, 1e-6f);
        foreach (var name in new[] { "backbone.blocks.0.attn.qkv.weight", "backbone.cls_token", "backbone.norm.weight", "head.0.weight", "predictor.3.weight" })
            Assert.NotEqual(others[name], moco.OptimizerParameters().First(p => p.Name == name).Param.ToArray());
    }

    // ---- recipes ----

    [Fact]
    public void Vit_backbones_pick_AdamW_tau_0_2_and_three_layer_projector_ResNets_pick_LARS_and_tau_1()
    {
        var vitPreset = ForBackbone(TinyVit, small: true);
        var vit = (MoCoV3Options)vitPreset.Method;
        Assert.Equal((OptimizerKind.AdamW, 0.2f, 3, true), (vitPreset.Optimizer.Kind, vit.Temperature, vit.ProjectorLayers, vit.PredictorLastBatchNorm));
        Assert.Equal(1.5e-4f, vitPreset.Optimizer.LrFor(256), 8);
        Assert.Equal((0.1f, 0.9f), (vitPreset.Optimizer.WeightDecay, vitPreset.Optimizer.Momentum));
        Assert.Equal(TinyVit with { FreezePatchProjection = true }, vit.Backbone);
        Assert.Equal((512, 128, 256, 100), (vit.Hidden, vit.Dim, vitPreset.Optimizer.BatchSize, vitPreset.Optimizer.Epochs));
        var moco = TinyVitMoCo();
        Assert.Equal(8, ((Mlp)moco.BaseEncoder.Head).Count);                   // Linear BN ReLU Linear BN ReLU Linear BN
        Assert.Equal(5, moco.Predictor.Count);                                  // ... and the ViT predictor ends in BN

        var resnetPreset = ForBackbone(TestUtil.TinyBackbone, small: true);
        var resnet = (MoCoV3Options)resnetPreset.Method;
        Assert.Equal((OptimizerKind.Lars, 1.0f, 2, false), (resnetPreset.Optimizer.Kind, resnet.Temperature, resnet.ProjectorLayers, resnet.PredictorLastBatchNorm));
        Assert.Equal(TestUtil.TinyBackbone, resnet.Backbone);

        var paperVitPreset = ForBackbone(VisionTransformer.Options.Small(), small: false);
        var paperVit = (MoCoV3Options)paperVitPreset.Method;
        Assert.Equal((4096, 256, 0.2f), (paperVit.Hidden, paperVit.Dim, paperVit.Temperature));
        Assert.Equal((OptimizerKind.AdamW, 4096, 300), (paperVitPreset.Optimizer.Kind, paperVitPreset.Optimizer.BatchSize, paperVitPreset.Optimizer.Epochs));
        Assert.Equal(40f, paperVitPreset.Optimizer.WarmupEpochsFor(300));      // the paper's 40 of 300, not cut to a tenth
        Assert.Equal(0.4f, paperVitPreset.Optimizer.WarmupEpochsFor(3), 5);
    }

    [Fact]
    public void Presets_hold_the_papers_ResNet_50_recipe_and_the_small_spec()
    {
        var paperPreset = MethodRecipes.Get("mocov3").Paper();
        var paper = (MoCoV3Options)paperPreset.Method;
        Assert.Equal(50, ((ResNet.Options)paper.Backbone).Depth);
        Assert.Equal((4096, 256, 1.0f, 0.99f, 2), (paper.Hidden, paper.Dim, paper.Temperature, paper.BaseMomentum, paper.ProjectorLayers));
        var po = paperPreset.Optimizer;
        Assert.Equal((OptimizerKind.Lars, 0.9f, 1e-6f, 10f, 4096, 100), (po.Kind, po.Momentum, po.WeightDecay, po.WarmupEpochs, po.BatchSize, po.Epochs));
        Assert.Equal(9.6f, po.LrFor(4096), 4);                                  // 0.6·B/256

        var smallPreset = MethodRecipes.Get("mocov3").Small();
        var small = (MoCoV3Options)smallPreset.Method;
        Assert.Equal(ResNetStem.Cifar, ((ResNet.Options)small.Backbone).Stem);
        Assert.Equal((512, 128, 1.0f, 0.99f, 2, false), (small.Hidden, small.Dim, small.Temperature, small.BaseMomentum, small.ProjectorLayers, small.PredictorLastBatchNorm));
        var so = smallPreset.Optimizer;
        Assert.Equal((OptimizerKind.Lars, LrScheduleKind.Cosine, 0.9f, 1e-6f, 256, 100), (so.Kind, so.Schedule, so.Momentum, so.WeightDecay, so.BatchSize, so.Epochs));
        Assert.Equal(0.6f, so.LrFor(256), 6);
        Assert.Equal(10f, so.WarmupEpochsFor(100));
        Assert.Equal(0.1f, so.WarmupEpochsFor(1), 6);
        Assert.IsType<MoCoV3>(MethodRecipes.Get("MoCoV3").Create(small with { Backbone = TestUtil.TinyBackbone, Hidden = 16, Dim = 8 }, new Generator(1)));
        Assert.Throws<ArgumentException>(() => MethodRecipes.Get("mocov3").Create(((ByolOptions)new ByolRecipe().Small().Method), new Generator(1)));
    }

    [Theory]
    [InlineData("sgd")]
    [InlineData("adamw")]
    public void Ten_steps_on_one_batch_give_finite_losses_that_fall(string optimizer)
    {
        var moco = TinyResNet(seed: 2);
        Optimizer opt = optimizer == "sgd"
            ? new Sgd(moco.OptimizerParameters(), 0.1f, 0.9f, 1e-6f)
            : new AdamW(moco.OptimizerParameters(), lr: 1e-3f, weightDecay: 0.1f);
        var views = TwoViews(6);
        var losses = Enumerable.Range(0, 10).Select(s => TestUtil.Step(moco, opt, views, Indices, s, 10)).ToArray();
        Assert.All(losses, l => Assert.True(float.IsFinite(l) && l > 0, $"loss {l}"));
        // A batch of 4 with BN makes single steps noisy; the trend over ten steps is clear (≈ 5.1 → 4.5 and 5.9 → 4.7).
        Assert.True(losses[^3..].Average() < losses[..3].Average() - 0.3f, $"losses did not fall: {string.Join(", ", losses)}");
    }
}
