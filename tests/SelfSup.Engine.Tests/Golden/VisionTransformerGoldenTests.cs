using SelfSup.Engine.Backbones;
using SelfSup.Engine.Nn;
using Xunit;

namespace SelfSup.Engine.Tests;

/// <summary>
/// MoCo v3's ViT-Tiny at depth 2, patch 4 on 32×32 (vit_tiny_d2.safetensors): the timm-named state dict loads strictly,
/// our fixed 2-D sin-cos position embedding equals the stored one, and the token embedding, block 0's output, the class
/// token features and their gradients agree with PyTorch.
/// </summary>
public class VisionTransformerGoldenTests
{
    const string File = "vit_tiny_d2";
    static readonly string[] NotState = ["input", "embed_out", "block0_out", "cls_features", "grad_w"];
    static readonly string[] GradParams =
    [
        "cls_token", "patch_embed.proj.bias", "blocks.0.norm1.weight", "blocks.0.attn.qkv.bias",
        "blocks.0.attn.proj.bias", "blocks.1.mlp.fc2.bias", "norm.weight", "norm.bias",
    ];

    static GoldenFixture Fixture => GoldenFixture.Load(File);

    /// <summary>A ViT built from the fixture's <c>architecture</c> metadata (random init, nothing loaded yet).</summary>
    static VisionTransformer BuildModel()
    {
        var arch = Fixture.Json("architecture");
        Assert.Equal("vit", arch.GetProperty("arch").GetString());
        Assert.Equal(1e-6f, arch.GetProperty("ln_eps").GetSingle());                   // our blocks' and final norm's eps
        Assert.Equal("exact", arch.GetProperty("gelu").GetString());                   // our GELU is the erf one
        int P(string name) => arch.GetProperty(name).GetInt32();
        return new VisionTransformer(new VisionTransformer.Options(ImageSize: P("image_size"), PatchSize: P("patch_size"),
            InChannels: P("in_channels"), EmbedDim: P("dim"), Depth: P("depth"), NumHeads: P("heads"), MlpDim: P("mlp_hidden"),
            NumClasses: 0), new Generator(11));
    }

    static VisionTransformer LoadedModel()
    {
        var model = BuildModel();
        var weights = Fixture.StateWithout(NotState, ["grad."]);
        Assert.Equal(30, weights.Count);
        model.LoadStateDict(weights, strict: true);
        return model;
    }

    [Fact]
    public void Built_in_sincos_position_embedding_equals_moco_v3s()
    {
        var model = BuildModel();
        GoldenAssert.Close(Fixture.Float("pos_embed"), model.PosEmbed, 1e-5f, 1e-5f, "pos_embed");
    }

    [Fact]
    public void Token_embedding_and_first_block_match_pytorch()
    {
        var model = LoadedModel();
        var input = Fixture.Float("input");                                            // (2, 3, 32, 32)
        int n = input.Shape[0], d = model.Config.EmbedDim;
        var block0 = (UnaryModule)model.NamedModules().Single(m => m.Name == "blocks.0").Module;
        Tensor embedded, afterBlock0;
        using (Grad.Disabled())
        {
            // ForwardTokens returns the tokens after the final norm; its first step is rebuilt here from the public parts.
            var patches = model.PatchEmbed.Forward(input);                              // (2, 64, 192)
            embedded = Ops.Cat([Ops.Expand(model.ClsToken, n, 1, d), patches], 1) + model.PosEmbed;   // (2, 65, 192)
            afterBlock0 = block0.Forward(embedded);                                     // (2, 65, 192)
        }
        GoldenAssert.Close(Fixture.Float("embed_out"), embedded, 1e-5f, 1e-4f, "embed_out");
        GoldenAssert.RelativeNorm(Fixture.Float("block0_out"), afterBlock0, 1e-4, "block0_out");
        GoldenAssert.Close(Fixture.Float("block0_out"), afterBlock0, 1e-4f, 1e-3f, "block0_out");
    }

    [Fact]
    public void Class_token_features_match_pytorch()
    {
        var model = LoadedModel();
        Tensor features;
        using (Grad.Disabled()) features = model.Forward(Fixture.Float("input"));     // (2, 192)
        GoldenAssert.RelativeNorm(Fixture.Float("cls_features"), features, 1e-4, "cls_features");
        GoldenAssert.Close(Fixture.Float("cls_features"), features, 1e-4f, 1e-3f, "cls_features");
    }

    [Fact]
    public void Gradients_match_pytorch()
    {
        var model = LoadedModel();
        var input = Fixture.Input("input");                                            // (2, 3, 32, 32)
        Ops.Sum(Ops.Mul(model.Forward(input), Fixture.Float("grad_w"))).Backward();
        GoldenAssert.Close(Fixture.Float("grad.input"), input.Grad!, 1e-4f, 1e-3f, "grad input");
        var parameters = model.NamedParameters().ToDictionary(p => p.Name, p => p.Value);
        foreach (var name in GradParams)
        {
            var grad = parameters[name].Grad;
            Assert.True(grad is not null, $"{name} got no gradient");
            GoldenAssert.Close(Fixture.Float($"grad.{name}"), grad!, 1e-4f, 1e-3f, $"grad {name}");
        }
    }
}
