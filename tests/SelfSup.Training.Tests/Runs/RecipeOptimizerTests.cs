using SelfSup.Engine;
using SelfSup.Engine.Nn;
using SelfSup.Engine.Optim;
using SelfSup.Methods;
using SelfSup.Vision;
using Xunit;

namespace SelfSup.Training.Tests;

/// <summary>What <see cref="Recipe"/> makes of the options: Barlow Twins' two LARS learning rates and SimCLR v2's
/// `--head-layers`.</summary>
public class RecipeOptimizerTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("selfsup-recipe-").FullName;
    public void Dispose() => Directory.Delete(root, recursive: true);

    /// <summary>A 16-image MNIST-format folder of 8×8 noise (only its size and count matter here).</summary>
    string WriteData()
    {
        var rng = new Generator(1);
        foreach (var prefix in new[] { "train", "t10k" })
        {
            var pixels = new byte[16 * 8 * 8];
            for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)rng.NextInt(256);
            IdxFile.Write(Path.Combine(root, $"{prefix}-images-idx3-ubyte"), [16, 8, 8], pixels);
            IdxFile.Write(Path.Combine(root, $"{prefix}-labels-idx1-ubyte"), [16], new byte[16]);
        }
        return "mnist-idx:" + root;
    }

    Recipe Resolve(string method, float? lr = null, int? headLayers = null) =>
        Recipe.Resolve(new TrainOptions { Method = method, Data = WriteData(), Preset = PresetNames.Small, Width = 4, BatchSize = 16, Epochs = 10, Lr = lr, HeadLayers = headLayers });

    static SslMethod Build(Recipe r) => MethodRecipes.Get(r.Options.Method).Create(r.MethodOptions, new Generator(2), r.Train.Count);

    [Fact]
    public void Barlow_twins_biases_and_bn_get_0_0048_where_weights_get_0_2_both_times_B_over_256()
    {
        var recipe = Resolve("barlowtwins");
        var method = Build(recipe);
        var lars = Assert.IsType<Lars>(recipe.BuildOptimizer(method));
        Assert.Equal(2, lars.Groups.Count);
        var (weights, biases) = (lars.Groups[0], lars.Groups[1]);
        Assert.All(weights.Parameters, p => Assert.True(p.Param.Rank >= 2, p.Name));
        Assert.All(biases.Parameters, p => Assert.Equal(1, p.Param.Rank));
        Assert.Equal(method.OptimizerParameters().Count(), weights.Count + biases.Count);

        Assert.Equal(0.2f * 16 / 256, weights.Lr, 6);
        Assert.Equal(0.0048f * 16 / 256, biases.Lr, 7);
        Assert.Equal(1.5e-6f, weights.WeightDecay);
        Assert.True(weights.LarsAdaptation);
        Assert.Equal(0f, biases.WeightDecay);                                  // excluded from decay and adaptation
        Assert.False(biases.LarsAdaptation);

        var schedule = recipe.BuildSchedule(stepsPerEpoch: 4);
        float mid = schedule.At(20);                                            // past the 1-epoch warmup, mid-cosine
        Assert.InRange(mid, 0.001f, 0.2f * 16 / 256 * 0.99f);
        lars.Lr = mid;
        Assert.Equal(mid, weights.Lr, 7);
        Assert.Equal(mid * 0.0048f / 0.2f, biases.Lr, 7);                       // the schedule scales both groups
    }

    [Fact]
    public void Barlow_twins_bias_group_steps_with_its_own_lr()
    {
        var recipe = Resolve("barlowtwins");
        var lars = recipe.BuildOptimizer(Build(recipe));
        var (name, bias) = lars.Groups[1].Parameters[0];
        var before = bias.ToArray();
        bias.Grad = Tensor.Ones(bias.Shape);
        lars.Step();                                                            // first momentum step: p − lr·g, no trust ratio
        float lr = 0.0048f * 16 / 256;
        var after = bias.ToArray();
        for (int i = 0; i < after.Length; i++) Assert.Equal(before[i] - lr, after[i], 6);
        Assert.NotEmpty(name);
    }

    [Fact]
    public void An_lr_override_keeps_barlow_twins_ratio_and_simclr_has_one_lr()
    {
        var barlow = Resolve("barlowtwins", lr: 0.5f);
        var groups = barlow.BuildOptimizer(Build(barlow)).Groups;
        Assert.Equal(0.5f, groups[0].Lr);
        Assert.Equal(0.5f * 0.024f, groups[1].Lr, 6);

        var simclr = Resolve("simclr");
        groups = simclr.BuildOptimizer(Build(simclr)).Groups;
        Assert.Equal(2, groups.Count);
        Assert.Equal(simclr.Lr, groups[0].Lr);
        Assert.Equal(simclr.Lr, groups[1].Lr);
        Assert.False(groups[1].LarsAdaptation);
    }

    [Fact]
    public void Head_layers_3_gives_simclr_v2s_head_with_bn_after_every_linear()
    {
        var recipe = Resolve("simclr", headLayers: 3);
        Assert.Equal(3, Assert.IsType<SimClrOptions>(recipe.MethodOptions).HeadLayers);
        var head = Assert.IsType<SimClr>(Build(recipe)).Head;
        var kinds = head.Layers.Select(l => l.GetType().Name).ToArray();
        Assert.Equal(["Linear", "BatchNorm1d", "ReLU", "Linear", "BatchNorm1d", "ReLU", "Linear", "BatchNorm1d"], kinds);

        var plain = Assert.IsType<SimClr>(Build(Resolve("simclr"))).Head;      // default: SimCLR v1's 2 layers
        Assert.Equal(["Linear", "BatchNorm1d", "ReLU", "Linear"], plain.Layers.Select(l => l.GetType().Name).ToArray());
    }

    [Theory]
    [InlineData("simclr", 4, "must be 2 (SimCLR) or 3 (SimCLR v2), not 4")]
    [InlineData("simclr", 1, "must be 2 (SimCLR) or 3 (SimCLR v2), not 1")]
    [InlineData("byol", 3, "applies to simclr only, not byol")]
    public void Head_layers_rejects_other_depths_and_other_methods_before_reading_data(string method, int layers, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => Recipe.Resolve(new TrainOptions
        {
            Method = method, Data = "mnist-idx:" + Path.Combine(root, "missing"), HeadLayers = layers,
        }));
        Assert.Contains(message, e.Message);
    }
}
