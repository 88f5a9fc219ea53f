using System.Text.Json;
using SelfSup.Engine;
using SelfSup.Engine.Backbones;
using SelfSup.Engine.IO;
using SelfSup.Methods;
using Xunit;

namespace SelfSup.Training.Tests;

/// <summary>
/// Each two-view method takes the same training steps as the PyTorch reference the accuracy runs compare against
/// (tools/golden/method_step_fixtures.py → Fixtures/method_steps.safetensors, from tools/reference): the same initial
/// weights and queues, the same views, the optimiser <see cref="Recipe.BuildOptimizer(OptimizerDefaults, SslMethod, float)"/>
/// builds from the small preset at the reference's lr, and the method's own after-step update (momentum encoders,
/// queues); "mocov3-vit" is MoCo v3's ViT recipe (AdamW, frozen patch projection). Every one of four losses matches (the fourth sees three updates of the weights, the momentum copies and the
/// queues), and every tensor moved as far from its start as PyTorch's did — so a parameter left out of the optimiser,
/// a momentum copy that does not move, or a wrong decay group shows even where the loss hides it.
/// </summary>
public class MethodStepGoldenTests
{
    static readonly StateDict Fx = SafeTensors.Load(Path.Combine(AppContext.BaseDirectory, "Fixtures", "method_steps.safetensors"));

    public static TheoryData<string> Methods => new() { "mocov1", "mocov2", "simclr", "byol", "barlowtwins", "mocov3", "densecl", "mocov3-vit" };

    [Theory, MemberData(nameof(Methods))]
    public void Three_steps_follow_the_pytorch_reference(string name)
    {
        var recipe = JsonDocument.Parse(Fx.Metadata["recipe"]).RootElement;
        var meta = JsonDocument.Parse(Fx.Metadata[name]).RootElement;
        int steps = recipe.GetProperty("steps").GetInt32(), batch = recipe.GetProperty("batch").GetInt32();
        int total = recipe.GetProperty("total").GetInt32(), size = recipe.GetProperty("size").GetInt32();

        bool vit = name == "mocov3-vit";                                            // MoCo v3's ViT recipe
        var methodRecipe = MethodRecipes.Get(vit ? "mocov3" : name);
        var preset = vit ? new MoCoV3Recipe().SmallVit() : methodRecipe.Small();
        if (vit) preset = preset with { Method = preset.Method with { Backbone = Vit(meta.GetProperty("vit")) } };
        var options = Shrunk(preset.Method, meta.GetProperty("overrides"), recipe.GetProperty("width").GetInt32());
        var method = methodRecipe.Create(options, new Generator(1), datasetSize: 64);
        var initial = InitialState(name, meta);
        method.LoadStateDict(initial, strict: true);
        LoadQueues(name, method);
        method.Train();
        var opt = Recipe.BuildOptimizer(preset.Optimizer, method, meta.GetProperty("lr").GetSingle());

        var views = Fx.Float("data.views").ToArray();                               // (S, 2, B, 1, 16, 16)
        int viewSize = batch * size * size;
        Tensor View(int step, int v) => Tensor.From(views.AsSpan((step * 2 + v) * viewSize, viewSize).ToArray(), batch, 1, size, size);
        var indices = Enumerable.Range(0, batch).ToArray();
        var losses = new float[steps];
        for (int step = 0; step < steps; step++)
        {
            var loss = method.Loss([View(step, 0), View(step, 1)], indices);
            losses[step] = loss.Item();
            if (step == steps - 1) break;                                            // the last loss: forward only
            opt.ZeroGrad();
            loss.Backward();
            opt.Step();
            method.AfterStep(step, total);
        }
        var expected = Fx.Float($"{name}.losses").ToArray();
        for (int step = 0; step < steps; step++)
            Assert.True(MathF.Abs(expected[step] - losses[step]) <= 1e-4f * MathF.Max(1, MathF.Abs(expected[step])),
                $"{name} step {step}: PyTorch's losses {string.Join(", ", expected)}; ours {string.Join(", ", losses)}");

        foreach (var (key, entry) in method.StateDict())
        {
            if (entry.Float is not { } now) continue;
            // The key third of a ViT's qkv bias cannot change the attention (it adds the same q·b to every score), so its
            // gradient is rounding noise, which AdamW scales up to full-size steps: its change is not reproducible.
            if (key.EndsWith("attn.qkv.bias", StringComparison.Ordinal)) continue;
            float want = Fx.Float($"{name}.delta.{key}").Item();
            float moved = Distance(now, initial.Float(key));
            Assert.True(MathF.Abs(moved - want) <= 1e-6f + 2e-3f * want, $"{name} {key}: moved {moved}, PyTorch's {want}");
        }
    }

    /// <summary>The small preset with the fixture's smaller heads and queues, and a ResNet of its width (a ViT preset
    /// keeps its backbone).</summary>
    static MethodOptions Shrunk(MethodOptions small, JsonElement o, int width)
    {
        int hidden = o.GetProperty("hidden").GetInt32(), dim = o.GetProperty("dim").GetInt32();
        int queue = o.GetProperty("queue").GetInt32(), splits = o.GetProperty("bn_splits").GetInt32();
        BackboneOptions backbone = small.Backbone is VisionTransformer.Options vit ? vit
            : new ResNet.Options(Depth: 18, Stem: ResNetStem.Cifar, InChannels: 1, Width: width, NumClasses: 0);
        return small switch
        {
            MoCoOptions m => m with { Backbone = backbone, Dim = dim, QueueSize = queue, BnSplits = splits },
            SimClrOptions s => s with { Backbone = backbone, Dim = dim },
            ByolOptions b => b with { Backbone = backbone, Dim = dim, Hidden = hidden },
            BarlowTwinsOptions b => b with { Backbone = backbone, Dim = dim, Hidden = hidden },
            MoCoV3Options m => m with { Backbone = backbone, Dim = dim, Hidden = hidden },
            DenseClOptions d => d with { Backbone = backbone, Dim = dim, Hidden = hidden, QueueSize = queue, BnSplits = splits },
            _ => throw new ArgumentException($"no overrides for {small.GetType().Name}"),
        };
    }

    /// <summary>The fixture's small ViT, its patch projection frozen as MoCo v3 trains it.</summary>
    static VisionTransformer.Options Vit(JsonElement v) => new(ImageSize: v.GetProperty("image").GetInt32(),
        PatchSize: v.GetProperty("patch").GetInt32(), InChannels: v.GetProperty("in_ch").GetInt32(), EmbedDim: v.GetProperty("dim").GetInt32(),
        Depth: v.GetProperty("depth").GetInt32(), NumHeads: v.GetProperty("heads").GetInt32(), MlpDim: v.GetProperty("hidden").GetInt32(),
        FreezePatchProjection: true);

    /// <summary>The shared initial backbone under each prefix where the method holds one, plus its own tensors.</summary>
    static StateDict InitialState(string name, JsonElement meta)
    {
        var state = new StateDict();
        foreach (var copy in meta.GetProperty("backbone_copies").EnumerateArray().Select(c => c.GetString()!))
            foreach (var (key, entry) in Fx.Where(e => e.Key.StartsWith("backbone.", StringComparison.Ordinal)))
                Add(state, copy + key["backbone.".Length..], entry);
        string own = name + ".init.";
        foreach (var (key, entry) in Fx.Where(e => e.Key.StartsWith(own, StringComparison.Ordinal)))
            Add(state, key[own.Length..], entry);
        return state;
    }

    static void Add(StateDict state, string key, StateEntry entry)
    {
        if (entry.Float is { } f) state.Add(key, f.Clone()); else state.Add(key, entry.Int!);
    }

    /// <summary>The reference's initial queues in place of the method's own random ones.</summary>
    static void LoadQueues(string name, SslMethod method)
    {
        var extra = method.ExtraState();
        string prefix = name + ".extra.";
        foreach (var key in Fx.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)))
            extra.Float(key[prefix.Length..]).CopyFrom(Fx.Float(key));
        method.LoadExtraState(extra);
    }

    static float Distance(Tensor a, Tensor b) =>
        System.Numerics.Tensors.TensorPrimitives.Distance<float>(a.ToArray(), b.ToArray());     // ‖a − b‖₂
}
