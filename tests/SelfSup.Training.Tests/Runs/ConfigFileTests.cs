using Xunit;

namespace SelfSup.Training.Tests;

/// <summary>Config files: keys are the flag names, flags override the file, bad keys and values name file, line and key,
/// and a run's config.yaml loads back to the options it trained with.</summary>
public class ConfigFileTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("selfsup-config-").FullName;
    public void Dispose() => Directory.Delete(root, recursive: true);

    const string Yaml = """
        # a small MoCo v2 run
        method: mocov2          # comment after a value
        data: "cifar10:/data/cifar: x"
        batch-size: 256
        lr: 0.06
        epochs: 200
        width: 32
        stem: ~
        seed: 7
        knn-temperature: 0.07
        """;

    [Fact]
    public void A_file_sets_the_options_it_names_and_leaves_the_others_at_their_defaults()
    {
        var o = OptionTable.Build(ConfigFile.Parse(Yaml, "run.yaml"));
        Assert.Equal(new TrainOptions
        {
            Method = "mocov2", Data = "cifar10:/data/cifar: x", BatchSize = 256, Lr = 0.06f, Epochs = 200, Width = 32, Seed = 7,
            KnnTemperature = 0.07f,
        }, o);
    }

    [Fact]
    public void A_flag_given_after_the_file_overrides_it()
    {
        var file = ConfigFile.Parse(Yaml, "run.yaml");
        var o = OptionTable.Build([.. file, new OptionSetting("epochs", "5", "--epochs"), new OptionSetting("stem", "imagenet", "--stem")]);
        Assert.Equal(5, o.Epochs);
        Assert.Equal("imagenet", o.Stem);
        Assert.Equal(256, o.BatchSize);                                         // what the flags do not name stays the file's
    }

    [Fact]
    public void An_unknown_key_is_named_with_its_line_and_a_suggestion()
    {
        var e = Assert.Throws<ArgumentException>(() => ConfigFile.Parse("method: simclr\nbatch_size: 64\n", "run.yaml"));
        Assert.StartsWith("run.yaml:2: batch_size: unknown key; did you mean 'batch-size'?", e.Message);
    }

    [Theory]
    [InlineData("epochs: 0", "run.yaml:2: epochs: must be at least 1, not 0")]
    [InlineData("lr: -0.1", "run.yaml:2: lr: must be positive, not -0.1")]
    [InlineData("width: 0", "run.yaml:2: width: must be at least 1, not 0")]
    [InlineData("width: wide", "run.yaml:2: width: needs an integer, got 'wide'")]
    [InlineData("method: mocov9", "run.yaml:2: method: unknown method 'mocov9'")]
    [InlineData("backbone: vgg16", "run.yaml:2: backbone: must be resnet18, resnet34, resnet50, vit-tiny or vit-small, not 'vgg16'")]
    [InlineData("seed: -1", "run.yaml:2: seed: needs a non-negative integer, got '-1'")]
    [InlineData("method: null", "run.yaml:2: method: needs a value")]
    public void A_bad_value_is_named_with_its_line(string line, string message)
    {
        var settings = ConfigFile.Parse($"data: fashion-mnist\n{line}\n", "run.yaml");
        var e = Assert.Throws<ArgumentException>(() => OptionTable.Build(settings));
        Assert.StartsWith(message, e.Message);
    }

    [Theory]
    [InlineData("data: [fashion-mnist\n", "run.yaml")]
    [InlineData("width:\n  - 4\n", "run.yaml:1: width: needs a single value")]
    [InlineData("- epochs\n- 3\n", "run.yaml:1: expected 'key: value' lines")]
    [InlineData("data: a\ndata: b\n", "run.yaml:2")]
    public void Malformed_yaml_is_one_error_naming_the_file(string yaml, string start)
    {
        var e = Assert.ThrowsAny<Exception>(() => ConfigFile.Parse(yaml, "run.yaml"));
        Assert.True(e is ArgumentException or InvalidDataException, e.GetType().Name);
        Assert.StartsWith(start, e.Message);
    }

    [Fact]
    public void An_empty_file_sets_nothing() => Assert.Empty(ConfigFile.Parse("# only a comment\n", "run.yaml"));

    [Fact]
    public void Every_TrainOptions_property_is_an_option_with_a_kebab_case_key()
    {
        Assert.Equal(typeof(TrainOptions).GetProperties().Length, OptionTable.All.Count);
        Assert.Contains("batch-size", OptionTable.Keys);
        Assert.Contains("knn-train-limit", OptionTable.Keys);
        Assert.Contains("checkpoint-every-steps", OptionTable.Keys);
    }

    [Fact]
    public void Formatted_options_load_back_to_the_same_options()
    {
        var o = new TrainOptions
        {
            Method = "simclr", Data = "folder:/a dir/with: colon", Backbone = "resnet50", Width = 16, Stem = "imagenet", Preset = "paper",
            Epochs = 3, BatchSize = 48, Lr = 0.1f + 1e-7f, Out = "null", Seed = ulong.MaxValue, LoaderThreads = 0, KnnEvery = 2, KnnK = 7,
            KnnTemperature = 0.3f, KnnTrainLimit = 9, TrainLimit = 11, CheckpointEverySteps = 5,
        };
        var back = ConfigFile.Load(ConfigFile.Format(o, "a comment"), "x.yaml");
        Assert.Equal(o, back);                                                  // record equality: every property
        Assert.Equal(new TrainOptions(), ConfigFile.Load(ConfigFile.Format(new TrainOptions()), "x.yaml"));   // nulls stay null
    }

    [Fact]
    public void A_runs_config_yaml_holds_the_resolved_options_and_reproduces_them()
    {
        var data = TinyData.Write(Path.Combine(root, "data"), train: 64);
        var outDir = Path.Combine(root, "run");
        var options = new TrainOptions { Method = "simclr", Data = data, Width = 4, Epochs = 1, BatchSize = 32, LoaderThreads = 0, KnnK = 5, Out = outDir };
        var recipe = Recipe.Resolve(options);
        new Trainer(recipe, TextWriter.Null).Run();
        var text = File.ReadAllText(Path.Combine(outDir, "config.yaml"));
        var saved = ConfigFile.Load(text, "config.yaml");
        Assert.Equal(recipe.Lr, saved.Lr);                                      // the recipe's lr for batch 32, not null
        Assert.Equal("cifar", saved.Stem);                                      // 16 px images: the quick preset and CIFAR stem
        Assert.Equal("quick", saved.Preset);
        Assert.Equal(0.5f, saved.CropMinScale);
        Assert.Equal(ConfigFile.Resolved(recipe, outDir), saved);
        var again = Recipe.Resolve(saved);                                      // and it trains the same recipe
        Assert.Equal((recipe.Epochs, recipe.BatchSize, recipe.Lr, recipe.Small), (again.Epochs, again.BatchSize, again.Lr, again.Small));
    }

    [Fact]
    public void A_key_without_a_value_is_an_error_while_null_asks_for_the_default()
    {
        var e = Assert.Throws<ArgumentException>(() => ConfigFile.Parse("method: simclr\nepochs:\n", "run.yaml"));
        Assert.StartsWith("run.yaml:2: epochs: has no value", e.Message);
        Assert.Null(Assert.Single(ConfigFile.Parse("epochs: null\n", "run.yaml")).Value);
        Assert.Null(Assert.Single(ConfigFile.Parse("epochs: ~\n", "run.yaml")).Value);
    }
}
