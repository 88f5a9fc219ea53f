using SelfSup.Engine;
using SelfSup.Engine.Backbones;
using SelfSup.Engine.Nn;
using Xunit;

namespace SelfSup.Engine.Tests;

public class VisionTransformerTests
{
    static VisionTransformer Small(int depth = 2, int classes = 0, bool freeze = false) =>
        new(new VisionTransformer.Options(ImageSize: 8, PatchSize: 4, InChannels: 3, EmbedDim: 16, Depth: depth, NumHeads: 2,
            MlpDim: 32, NumClasses: classes, FreezePatchProjection: freeze), new Generator(1));

    static string[] BlockKeys(int i) =>
        [.. new[] { "norm1.weight", "norm1.bias", "attn.qkv.weight", "attn.qkv.bias", "attn.proj.weight", "attn.proj.bias",
            "norm2.weight", "norm2.bias", "mlp.fc1.weight", "mlp.fc1.bias", "mlp.fc2.weight", "mlp.fc2.bias" }.Select(k => $"blocks.{i}.{k}")];

    [Fact]
    public void State_dict_keys_are_timms()
    {
        var vit = Small(depth: 2, classes: 10);
        Assert.Equal(
            ["cls_token", "pos_embed", "patch_embed.proj.weight", "patch_embed.proj.bias", .. BlockKeys(0), .. BlockKeys(1),
             "norm.weight", "norm.bias", "head.weight", "head.bias"],
            vit.StateDict().Keys);
        Assert.Equal([1, 1, 16], vit.ClsToken.Shape);
        Assert.Equal([1, 5, 16], vit.PosEmbed.Shape);                          // 1 + (8/4)² tokens
        Assert.Equal([48, 16], vit.StateDict().Float("blocks.0.attn.qkv.weight").Shape);
        Assert.DoesNotContain(Small(depth: 1).StateDict().Keys, k => k.StartsWith("head", StringComparison.Ordinal));
    }

    [Fact]
    public void Parameter_counts_match_timm()
    {
        // timm's vit_tiny_patch16_224 (1000 classes) has 5,717,416 parameters: cls 192 + pos_embed 197·192
        // + patch conv 192·3·16·16 + 192 + 12 blocks × (4D² + 2·D·M + 9D + M = 444,864; D 192, M 768) + norm 384 + head 193,000.
        // (pos_embed is a parameter in timm and MoCo v3, frozen in the latter; it is counted.)
        var tiny224 = new VisionTransformer(VisionTransformer.Options.Tiny(numClasses: 1000), new Generator(1));
        Assert.Equal(5_717_416, tiny224.Parameters().Sum(p => (long)p.Numel));
        // Our small-data ViT-Tiny, 32×32 patch 4, 10 classes: pos_embed 65·192, patch conv 192·48 + 192, head 1,930.
        var tiny32 = new VisionTransformer(VisionTransformer.Options.Tiny(32, 4, numClasses: 10), new Generator(1));
        Assert.Equal(5_362_762, tiny32.Parameters().Sum(p => (long)p.Numel));
        var small = new VisionTransformer(VisionTransformer.Options.Small(numClasses: 1000), new Generator(1));
        Assert.Equal(22_050_664, small.Parameters().Sum(p => (long)p.Numel));   // timm vit_small_patch16_224
    }

    [Fact]
    public void ViT_tiny_on_32px_patch_4_gives_class_token_features_and_logits()
    {
        var vit = new VisionTransformer(VisionTransformer.Options.Tiny(32, 4, numClasses: 0) with { Depth = 2 }, new Generator(1));
        var x = Tensor.Uniform(new Generator(2), -1, 1, 2, 3, 32, 32);
        Assert.Equal([2, 65, 192], vit.ForwardTokens(x).Shape);
        Assert.Equal([2, 192], vit.Forward(x).Shape);
        Assert.Equal(192, vit.FeatureDim);
        var gray = new VisionTransformer(VisionTransformer.Options.Tiny(32, 4, inChannels: 1, numClasses: 10) with { Depth = 1 }, new Generator(1));
        Assert.Equal([1, 10], gray.Forward(Tensor.Zeros(1, 1, 32, 32)).Shape);
    }

    [Fact]
    public void Forward_is_the_class_token_of_the_normed_tokens()
    {
        var vit = Small();
        var x = Tensor.Uniform(new Generator(2), -1, 1, 2, 3, 8, 8);
        var tokens = vit.ForwardTokens(x);
        Assert.Equal(Ops.Select(tokens, 1, 0).ToArray(), vit.Forward(x).ToArray());
    }

    [Fact]
    public void Position_embedding_is_moco_v3s_2d_sin_cos()
    {
        var pe = VisionTransformer.SinCosPositionEmbedding(8, 8, 16);         // pos_dim 4, ω_k = 10000^(−k/4)
        Assert.All(Enumerable.Range(0, 16), k => Assert.Equal(0f, pe[0, 0, k]));   // class token: zeros
        // patch token m = 10 (row 1, column 2 of the 8×8 grid): meshgrid(grid_w, grid_h) flattened gives
        // w-coordinate m / 8 = 1 and h-coordinate m % 8 = 2 (MoCo v3's ordering).
        float omega1 = 1f / MathF.Pow(10000f, 0.25f);
        Assert.Equal(MathF.Sin(1 * omega1), pe[0, 11, 1], 5);                 // sin(out_w)
        Assert.Equal(MathF.Cos(1 * omega1), pe[0, 11, 4 + 1], 5);             // cos(out_w)
        Assert.Equal(MathF.Sin(2 * omega1), pe[0, 11, 8 + 1], 5);             // sin(out_h)
        Assert.Equal(MathF.Cos(2f), pe[0, 11, 12 + 0], 5);                    // cos(out_h), ω_0 = 1
        Assert.Equal(0f, pe[0, 1, 0]);                                         // token 0: sin(0)
        Assert.Equal(1f, pe[0, 1, 4]);
        Assert.Throws<ArgumentException>(() => VisionTransformer.SinCosPositionEmbedding(2, 2, 6));
    }

    [Fact]
    public void Init_follows_moco_v3()
    {
        var vit = new VisionTransformer(VisionTransformer.Options.Tiny(32, 4) with { Depth = 1 }, new Generator(1));
        var state = vit.StateDict();
        float qkvBound = MathF.Sqrt(6f / (192 + 192));                        // three D×D matrices, not one 3D×D
        var qkv = state.Float("blocks.0.attn.qkv.weight").ToArray();
        Assert.All(qkv, v => Assert.InRange(v, -qkvBound, qkvBound));
        Assert.True(qkv.Max() > qkvBound * 0.99f);
        float fc1Bound = MathF.Sqrt(6f / (192 + 768));                        // xavier
        var fc1 = state.Float("blocks.0.mlp.fc1.weight").ToArray();
        Assert.All(fc1, v => Assert.InRange(v, -fc1Bound, fc1Bound));
        Assert.True(fc1.Max() > fc1Bound * 0.99f);
        float patchBound = MathF.Sqrt(6f / (3 * 4 * 4 + 192));                // flattened (D, C·p·p)
        var patch = state.Float("patch_embed.proj.weight").ToArray();
        Assert.All(patch, v => Assert.InRange(v, -patchBound, patchBound));
        Assert.True(patch.Max() > patchBound * 0.99f);
        foreach (var bias in new[] { "patch_embed.proj.bias", "blocks.0.attn.qkv.bias", "blocks.0.mlp.fc2.bias", "norm.bias" })
            Assert.All(state.Float(bias).ToArray(), v => Assert.Equal(0f, v));
        Assert.All(state.Float("blocks.0.norm1.weight").ToArray(), v => Assert.Equal(1f, v));
        var cls = state.Float("cls_token").ToArray();
        Assert.All(cls, v => Assert.InRange(v, -1e-5f, 1e-5f));
        Assert.Contains(cls, v => v != 0f);
    }

    [Fact]
    public void Frozen_patch_projection_is_not_trainable_but_is_saved_and_gets_no_gradient()
    {
        var vit = Small(depth: 1, freeze: true);
        var trainable = vit.NamedTrainableParameters().Select(p => p.Name).ToList();
        Assert.DoesNotContain("patch_embed.proj.weight", trainable);
        Assert.DoesNotContain("patch_embed.proj.bias", trainable);
        Assert.DoesNotContain("pos_embed", trainable);                         // fixed sin-cos
        Assert.Contains("cls_token", trainable);
        Assert.Contains("patch_embed.proj.weight", vit.NamedParameters().Select(p => p.Name));
        Assert.Contains("patch_embed.proj.weight", vit.StateDict().Keys);

        vit.Forward(Tensor.Uniform(new Generator(2), -1, 1, 2, 3, 8, 8)).Sum().Backward();
        Assert.Null(vit.PatchEmbed.Proj.Weight.Grad);
        Assert.Null(vit.PosEmbed.Grad);
        Assert.All(vit.TrainableParameters(), p => Assert.NotNull(p.Grad));

        Assert.Contains("patch_embed.proj.weight", Small(depth: 1).NamedTrainableParameters().Select(p => p.Name));
    }

    [Fact]
    public void Attention_matches_per_head_softmax_attention_computed_by_hand()
    {
        var rng = new Generator(4);
        var attn = new Attention(4, 2, rng);                                   // D 4, 2 heads of 2
        Init.Normal(attn.Qkv.Bias!, rng, 0, 0.5f);
        Init.Normal(attn.Proj.Bias!, rng, 0, 0.5f);
        var x = Tensor.Uniform(new Generator(5), -1, 1, 1, 3, 4);              // (B 1, L 3, D 4)
        var actual = attn.Forward(x).ToArray();

        var qkv = attn.Qkv.Forward(x);                                         // (1, 3, 12): [q | k | v], heads inside each
        var merged = new float[3 * 4];
        for (int h = 0; h < 2; h++)
            for (int i = 0; i < 3; i++)
            {
                var scores = new double[3];
                for (int j = 0; j < 3; j++)
                    for (int c = 0; c < 2; c++)
                        scores[j] += qkv[0, i, h * 2 + c] * qkv[0, j, 4 + h * 2 + c] / Math.Sqrt(2);
                double max = scores.Max(), sum = scores.Sum(s => Math.Exp(s - max));
                for (int j = 0; j < 3; j++)
                    for (int c = 0; c < 2; c++)
                        merged[i * 4 + h * 2 + c] += (float)(Math.Exp(scores[j] - max) / sum * qkv[0, j, 8 + h * 2 + c]);
            }
        var expected = attn.Proj.Forward(Tensor.From(merged, 1, 3, 4)).ToArray();
        TensorAssert.Close(expected, actual, atol: 1e-5f);
    }
}

public class VitBlockReleaseTests
{
    /// <summary>Without autograd a block hands its intermediates (norms, qkv, attention, MLP hidden) back to the pool as
    /// it goes (NoGradReleaseAssert). Heads 1 and 4: with one head the merged attention output could be a view.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void No_grad_passes_reuse_intermediates_without_touching_inputs_or_outputs(int heads)
    {
        var rng = new Generator(5);
        var block = new VitBlock(64, heads, 128, rng);
        NoGradReleaseAssert.PassesAgreeAndKeepOutputs(block,
            Tensor.Randn(rng, 4, 65, 64), Tensor.Randn(rng, 4, 65, 64));        // (B, L, D): above the pool's minimum
    }
}
