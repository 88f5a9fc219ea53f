using SelfSup.Engine;
using SelfSup.Engine.Backbones;
using SelfSup.Methods;
using SelfSup.Vision;
using SelfSup.Vision.Transforms;
using Xunit;

namespace SelfSup.Training.Tests;

/// <summary>The presets a run resolves to: quick by default for small images (its width, stem, crops and budget of images),
/// small and paper when asked, and the options that override a preset (<c>--width</c>, <c>--stem</c>, <c>--epochs</c>,
/// <c>--crop-min-scale</c>, <c>--temperature</c>).</summary>
public class RecipePresetTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("selfsup-preset-").FullName;
    public void Dispose() => Directory.Delete(root, recursive: true);

    const int Images = 64;

    /// <summary>A 64-image MNIST-format folder of 8×8 noise (only its size and count matter here).</summary>
    string Data()
    {
        var rng = new Generator(1);
        foreach (var prefix in new[] { "train", "t10k" })
        {
            var pixels = new byte[Images * 8 * 8];
            for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)rng.NextInt(256);
            IdxFile.Write(Path.Combine(root, $"{prefix}-images-idx3-ubyte"), [Images, 8, 8], pixels);
            IdxFile.Write(Path.Combine(root, $"{prefix}-labels-idx1-ubyte"), [Images], new byte[Images]);
        }
        return "mnist-idx:" + root;
    }

    static ResNet.Options Net(Recipe r) => Assert.IsType<ResNet.Options>(r.MethodOptions.Backbone);

    static IEnumerable<RandomResizedCrop> Crops(Recipe r) =>
        r.Views.Views.SelectMany(v => Assert.IsType<Compose>(v).Steps).OfType<RandomResizedCrop>();

    [Fact]
    public void Small_images_default_to_the_quick_preset_its_network_crops_and_budget_of_images()
    {
        var r = Recipe.Resolve(new TrainOptions { Data = Data() });              // the default method
        Assert.Equal("simclr", r.Options.Method);
        Assert.Equal(PresetNames.Quick, r.PresetName);
        Assert.True(r.Small);
        var quick = new SimClrRecipe().Quick();
        Assert.Equal(quick.Width, Net(r).Width);
        Assert.Equal(ResNetStem.Cifar, Net(r).Stem);
        Assert.Equal((int)Math.Round(MethodRecipe.QuickTrainImages / (double)Images), r.Epochs);   // the budget, not 1000 epochs
        Assert.Equal(128, r.BatchSize);
        Assert.Equal(5f, r.Lr, 6);                                                    // SimCLR's tuned lr and τ
        Assert.Equal(0.2f, Assert.IsType<SimClrOptions>(r.MethodOptions).Temperature);
        Assert.NotEmpty(Crops(r));
        Assert.All(Crops(r), c => Assert.Equal(quick.CropMinScale, c.MinScale));
    }

    [Fact]
    public void Untuned_quick_presets_keep_the_cifar_codes_peak_lr_at_batch_128_and_barlow_twins_ratio_of_its_two_lrs()
    {
        foreach (var m in MethodRecipes.All.Where(m => m.Name != "simclr"))
        {
            OptimizerDefaults small = m.Small().Optimizer, quick = m.Quick().Optimizer;
            Assert.Equal(128, quick.BatchSize);
            Assert.True(Math.Abs(small.LrFor(small.BatchSize) - quick.LrFor(128)) < 1e-6f, m.Name);
            Assert.True(Math.Abs(small.BiasAndNormLrScale - quick.BiasAndNormLrScale) < 1e-6f, m.Name);
        }
        Assert.Equal(0.0048f / 0.2f, new BarlowTwinsRecipe().Quick().Optimizer.BiasAndNormLrScale, 6);
    }

    [Fact]
    public void The_small_preset_keeps_the_cifar_codes_network_schedule_and_crops()
    {
        var r = Recipe.Resolve(new TrainOptions { Method = "simclr", Data = Data(), Preset = PresetNames.Small });
        var small = new SimClrRecipe().Small();
        Assert.Equal((64, ResNetStem.Cifar), (Net(r).Width, Net(r).Stem));
        Assert.Equal(small.Optimizer.Epochs, r.Epochs);
        Assert.All(Crops(r), c => Assert.Equal(0.08f, c.MinScale));
        Assert.Null(r.CropMinScale);
    }

    [Fact]
    public void Options_override_the_preset()
    {
        var r = Recipe.Resolve(new TrainOptions
        {
            Method = "byol", Data = Data(), Width = 8, Stem = "imagenet", Epochs = 3, CropMinScale = 0.5f,
        });
        Assert.Equal(PresetNames.Quick, r.PresetName);
        Assert.Equal((8, ResNetStem.ImageNet), (Net(r).Width, Net(r).Stem));
        Assert.Equal(3, r.Epochs);
        Assert.Equal(2, r.Views.Views.Count);                                       // BYOL's two different views, both changed
        Assert.All(Crops(r), c => Assert.Equal(0.5f, c.MinScale));
        Assert.Equal(2, Crops(r).Count());
    }

    [Fact]
    public void The_resolved_options_name_the_preset_width_stem_and_crops_and_load_back_to_the_same_run()
    {
        var r = Recipe.Resolve(new TrainOptions { Method = "simclr", Data = Data() });
        var resolved = ConfigFile.Resolved(r, Path.Combine(root, "run"));
        Assert.Equal((PresetNames.Quick, 16, "cifar", 0.5f), (resolved.Preset, resolved.Width, resolved.Stem, resolved.CropMinScale));
        var again = Recipe.Resolve(ConfigFile.Load(ConfigFile.Format(resolved), "config.yaml"));
        Assert.Empty(OptionTable.Differences(ConfigFile.Resolved(again, resolved.Out!), resolved));
        Assert.Equal(r.Epochs, again.Epochs);
    }

    [Fact]
    public void Temperature_sets_the_contrastive_methods_tau_and_is_refused_by_the_others()
    {
        var simclr = Recipe.Resolve(new TrainOptions { Method = "simclr", Data = Data(), Temperature = 0.3f });
        Assert.Equal(0.3f, Assert.IsType<SimClrOptions>(simclr.MethodOptions).Temperature);
        var moco = Recipe.Resolve(new TrainOptions { Method = "mocov2", Data = Data(), Temperature = 0.15f });
        Assert.Equal(0.15f, Assert.IsType<MoCoOptions>(moco.MethodOptions).Temperature);
        var e = Assert.Throws<ArgumentException>(() => Recipe.Resolve(new TrainOptions { Method = "byol", Data = Data(), Temperature = 0.3f }));
        Assert.StartsWith("--temperature applies to instdisc, mocov1, mocov2, simclr, mocov3, densecl only, not byol", e.Message);
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(1.5f)]
    [InlineData(float.NaN)]
    public void A_crop_scale_outside_0_to_1_is_refused(float scale)
    {
        var views = new SimClrRecipe().Views(8, 1);
        Assert.Throws<ArgumentException>(() => views.WithCropMinScale(scale));
    }

    [Fact]
    public void The_crop_scale_option_is_checked_where_it_is_read()
    {
        var e = Assert.Throws<ArgumentException>(() => OptionTable.Build([new OptionSetting("crop-min-scale", "1.5", "--crop-min-scale")]));
        Assert.Equal("--crop-min-scale: must be at most 1, not 1.5", e.Message);
    }
}
