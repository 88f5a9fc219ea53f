namespace SelfSup.Training;

/// <summary>A method's options and the optimiser it trains with, as one of its presets gives them, and what the preset
/// chooses that a run's options may override.</summary>
public sealed record Preset(MethodOptions Method, OptimizerDefaults Optimizer)
{
    /// <summary>The ResNet's base width when <c>--width</c> is not given (64: torchvision's).</summary>
    public int Width { get; init; } = 64;
    /// <summary>The ResNet's stem when <c>--stem</c> is not given; null: CIFAR's for small images, ImageNet's otherwise.</summary>
    public ResNetStem? Stem { get; init; }
    /// <summary>Every random crop's smallest share of the image when <c>--crop-min-scale</c> is not given; null: the views'.</summary>
    public float? CropMinScale { get; init; }
    /// <summary>When <c>--epochs</c> is not given: train on about this many images (epochs = this ÷ the training images,
    /// rounded, at least 1) instead of <see cref="OptimizerDefaults.Epochs"/>, so a budget means the same on any data set.</summary>
    public long? TrainImages { get; init; }

    /// <summary>The epochs this preset trains <paramref name="trainImages"/> images for.</summary>
    public int EpochsFor(int trainImages) => TrainImages is long budget
        ? (int)Math.Clamp(Math.Round(budget / (double)Math.Max(1, trainImages)), 1, 100_000)
        : Optimizer.Epochs;

    /// <summary>One line for `selfsup methods`.</summary>
    public override string ToString()
    {
        var o = Optimizer;
        string text = o.ToString();
        if (TrainImages is long budget)
            text = text.Replace($"{o.Epochs} epochs", $"{budget:N0} images ({EpochsFor(60_000)} epochs of Fashion-MNIST)")
                       .Replace($", {o.WarmupEpochs}-epoch warmup", $", warmup {o.WarmupEpochsFor(EpochsFor(60_000)):0.#} epochs (a tenth of the run, at most {o.WarmupEpochs})");
        if (Width != 64 || Stem is not null) text += $"; width {Width}{(Stem is ResNetStem s ? $", {(s == ResNetStem.Cifar ? "cifar" : "imagenet")} stem" : "")}";
        if (CropMinScale is float c) text += $"; crops ≥ {c:0.##} of the image";
        return text;
    }
}

/// <summary>The presets a run may ask for (<c>--preset</c>).</summary>
public static class PresetNames
{
    /// <summary>Small images' default: learning per CPU-minute (<see cref="MethodRecipe.Quick"/>).</summary>
    public const string Quick = "quick";
    /// <summary>The official CIFAR code's long schedules (<see cref="MethodRecipe.Small"/>).</summary>
    public const string Small = "small";
    /// <summary>The paper's ImageNet recipe (<see cref="MethodRecipe.Paper"/>); the default above 64 px.</summary>
    public const string Paper = "paper";
    public static readonly string[] All = [Quick, Small, Paper];
}

/// <summary>
/// Everything about one method that is not its computation (that is the <see cref="SslMethod"/> in Methods): its name and
/// paper, its paper and small-image presets (options and optimiser), the views it takes (built from Vision's transforms,
/// which know no method), and how it adjusts to the batch size and backbone a run asks for. Adding a method is its
/// <see cref="SslMethod"/> with its options record, and its recipe here, listed in <see cref="MethodRecipes.All"/>.
/// </summary>
public abstract class MethodRecipe
{
    /// <summary>The registry name (<c>--method</c>), lower case.</summary>
    public abstract string Name { get; }
    /// <summary>The paper, as "Authors year, Title (venue)".</summary>
    public abstract string Citation { get; }
    /// <summary>What the method does, in one line (for <c>selfsup methods</c>).</summary>
    public abstract string Summary { get; }

    /// <summary>The paper's ImageNet recipe.</summary>
    public abstract Preset Paper();
    /// <summary>The recipe for images of 64 px or less (CIFAR stem, the official CIFAR code's choices where it has some).</summary>
    public abstract Preset Small();
    /// <summary>The default for images of 64 px or less: the most kNN accuracy per CPU-minute (tuned on Fashion-MNIST on a
    /// 2-core machine, docs/tuning.md) — the small preset's method on a ResNet-18 of width 16 (CIFAR stem), crops of at
    /// least 30 % of the image (the papers' 8 % leaves a 28-px garment a few pixels of texture), batch 128 at the CIFAR
    /// code's peak lr (4× the steps per image, each as large), and a budget of images instead of the papers' hundreds of
    /// epochs. Methods override what their tuning changed.</summary>
    public virtual Preset Quick()
    {
        var small = Small();
        return small with
        {
            Optimizer = QuickOptimizer(small.Optimizer, small.Optimizer.LrFor(small.Optimizer.BatchSize)),
            Width = 16, CropMinScale = 0.3f, TrainImages = QuickTrainImages,
        };
    }

    /// <summary>The quick presets' budget: about ten minutes of the main job's training on this project's 2-core machine
    /// (3 epochs of Fashion-MNIST).</summary>
    public const long QuickTrainImages = 200_000;

    /// <summary>The quick preset's optimiser: <paramref name="small"/>'s at batch 128 and the base lr that gives
    /// <paramref name="lrAt128"/> there (a second parameter group's lr, Barlow Twins', keeps its ratio to the first's).</summary>
    protected static OptimizerDefaults QuickOptimizer(OptimizerDefaults small, float lrAt128)
    {
        const int batch = 128;
        float factor = lrAt128 / small.LrFor(batch);
        return small with { BatchSize = batch, BaseLr = small.BaseLr * factor, BiasAndNormBaseLr = small.BiasAndNormBaseLr * factor };
    }

    /// <summary>The preset named <paramref name="name"/> (<see cref="PresetNames"/>).</summary>
    public Preset Defaults(string name) => name switch
    {
        PresetNames.Quick => Quick(),
        PresetNames.Small => Small(),
        PresetNames.Paper => Paper(),
        _ => throw new ArgumentException($"--preset must be {string.Join(", ", PresetNames.All[..^1])} or {PresetNames.All[^1]}, not '{name}'"),
    };

    /// <summary>The training views for views of <paramref name="size"/>² with <paramref name="channels"/> channels.</summary>
    public abstract MultiView Views(int size, int channels);

    /// <summary>The preset for the backbone a run asks for: by default the preset with that backbone; a method whose recipe
    /// depends on the backbone (MoCo v3's ViTs) picks its variant here.</summary>
    public virtual Preset ForBackbone(Preset preset, BackboneOptions backbone, bool small) =>
        preset with { Method = preset.Method with { Backbone = backbone } };

    /// <summary>The options for batch size <paramref name="batch"/> (e.g. a queue rounded to a multiple of it).</summary>
    public virtual MethodOptions ForBatch(MethodOptions options, int batch) => options;

    /// <summary>Whether the paper's multi-device code normalises batch norm over the global batch (SyncBN: SimCLR's global
    /// BN, BYOL's and Barlow Twins' and MoCo v3's converted layers); on several ranks such a recipe synchronises batch norm
    /// without <c>--sync-bn</c>.</summary>
    public virtual bool GlobalBatchNorm => false;

    /// <summary>Whether batch norm is the method's own per-device mechanism (MoCo's and DenseCL's shuffling BN), which
    /// <c>--sync-bn</c> would undo.</summary>
    public virtual bool ShufflesBatchNorm => false;

    /// <summary>The options with shuffling BN in <paramref name="splits"/> groups (only where <see cref="ShufflesBatchNorm"/>).</summary>
    public virtual MethodOptions WithBnSplits(MethodOptions options, int splits) =>
        throw new ArgumentException($"--bn-splits applies to {string.Join(", ", MethodRecipes.All.Where(r => r.ShufflesBatchNorm).Select(r => r.Name).Distinct())} only, not {Name}");

    /// <summary>Whether <c>--head-layers</c> applies (SimCLR v1/v2 heads).</summary>
    public virtual bool HasHeadLayers => false;

    /// <summary>The options with a projection head of <paramref name="layers"/> layers (only where <see cref="HasHeadLayers"/>).</summary>
    public virtual MethodOptions WithHeadLayers(MethodOptions options, int layers) =>
        throw new ArgumentException($"--head-layers applies to {string.Join(", ", MethodRecipes.All.Where(r => r.HasHeadLayers).Select(r => r.Name))} only, not {Name}");

    /// <summary>The options with softmax temperature <paramref name="temperature"/> (the contrastive methods; BYOL and
    /// Barlow Twins have none).</summary>
    public virtual MethodOptions WithTemperature(MethodOptions options, float temperature) =>
        throw new ArgumentException($"--temperature applies to {string.Join(", ", MethodRecipes.All.Where(r => r.HasTemperature).Select(r => r.Name))} only, not {Name}");

    /// <summary>Whether <c>--temperature</c> applies.</summary>
    public virtual bool HasTemperature => false;

    /// <summary>Builds the method. <paramref name="datasetSize"/>: training images (InstDisc's memory bank has a row each).</summary>
    public abstract SslMethod Create(MethodOptions options, Generator rng, int datasetSize = 0);

    /// <summary><paramref name="options"/> as this method's own options type, or a clear error.</summary>
    protected T OptionsOf<T>(MethodOptions options) where T : MethodOptions =>
        options as T ?? throw new ArgumentException($"method '{Name}' does not take {options.GetType().Name}");

    /// <summary>The small presets' encoder: a ResNet-18 with the CIFAR stem.</summary>
    protected static ResNet.Options SmallBackbone => new(Depth: 18, Stem: ResNetStem.Cifar, NumClasses: 0);
}
