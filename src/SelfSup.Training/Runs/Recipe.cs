using SelfSup.Engine;
using SelfSup.Engine.Backbones;
using SelfSup.Engine.Optim;
using SelfSup.Methods;
using SelfSup.Vision;
using SelfSup.Vision.Transforms;

namespace SelfSup.Training;

/// <summary>
/// A run resolved from <see cref="TrainOptions"/> and the data: the method's preset (small for images of 64 px or less),
/// the backbone, the views, the optimiser and the lr schedule. This is where a method meets its augmentations
/// (Methods never sees Vision).
/// </summary>
public sealed class Recipe
{
    public required TrainOptions Options { get; init; }
    public required DataSplits Data { get; init; }
    public required IImageDataset Train { get; init; }
    /// <summary>Side of the square training and evaluation views: the images' own size for the small preset, at most
    /// <see cref="PaperViewSize"/> for the paper preset.</summary>
    public required int ImageSize { get; init; }
    public required int Channels { get; init; }
    /// <summary>Where <see cref="ImageSize"/> and <see cref="Channels"/> came from (logged at the start of a run).</summary>
    public required ImageSizeSurvey.Result SizeSurvey { get; init; }
    /// <summary>Whether the views and backbone take the small-image recipe (the quick and small presets).</summary>
    public required bool Small { get; init; }
    /// <summary>The preset the run trains with (<see cref="PresetNames"/>).</summary>
    public required string PresetName { get; init; }
    /// <summary>The method's recipe (<see cref="MethodRecipes"/>).</summary>
    public required MethodRecipe Method { get; init; }
    public required MethodOptions MethodOptions { get; init; }
    /// <summary>The optimiser the method's preset names for this backbone.</summary>
    public required OptimizerDefaults Optimizer { get; init; }
    public required MultiView Views { get; init; }
    /// <summary>Every random crop's smallest share of the image (<c>--crop-min-scale</c> or the preset's); null: the views' own.</summary>
    public float? CropMinScale { get; init; }
    public required IViewTransform EvalView { get; init; }
    public required int Epochs { get; init; }
    /// <summary>Samples per step on each rank (<c>--batch-size</c>); the global batch is <see cref="WorldSize"/> times it.</summary>
    public required int BatchSize { get; init; }
    /// <summary>Ranks of the job (mpirun -np); the lr is scaled for the global batch.</summary>
    public int WorldSize { get; init; } = 1;
    public required float Lr { get; init; }
    /// <summary>Whether batch norm is synchronised over the ranks: <c>--sync-bn</c>, or the method's paper does it
    /// (<see cref="MethodRecipe.GlobalBatchNorm"/>); one process has nothing to synchronise.</summary>
    public bool SyncBn => WorldSize > 1 && (Options.SyncBn || Method.GlobalBatchNorm);

    /// <summary>Builds the method with this run's options; <paramref name="rng"/> initialises it.</summary>
    public SslMethod CreateMethod(Generator rng) => Method.Create(MethodOptions, rng, Train.Count);

    /// <summary>Side of the training and evaluation views of the paper preset (the papers' 224-px crops); smaller
    /// images keep their own size.</summary>
    public const int PaperViewSize = 224;

    /// <param name="worldSize">Ranks of a data-parallel job: the lr follows the global batch, worldSize × the batch size.</param>
    public static Recipe Resolve(TrainOptions o, int worldSize = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(worldSize, 1);
        var method = MethodRecipes.Get(o.Method);
        if (o.HeadLayers is int layers) method.WithHeadLayers(method.Small().Method, layers);      // checked before the data is read
        if (o.BnSplits is int bnSplits) method.WithBnSplits(method.Small().Method, bnSplits);
        if (o.Temperature is float temperatureGiven) method.WithTemperature(method.Small().Method, temperatureGiven);
        var parsed = DataSpec.Parse(o.Data, o.Strict ? BadFilePolicy.Fail : BadFilePolicy.Skip);
        foreach (var split in new[] { parsed.Train, parsed.Test })
            if (split is FolderDataset folder) folder.MaxPixels = o.MaxImagePixels;
        IImageDataset Limited(IImageDataset split) => o.TrainLimit > 0 && o.TrainLimit < split.Count ? ImageSubset.First(split, o.TrainLimit) : split;
        var survey = ImageSizeSurvey.Of(Limited(parsed.Train));
        int imageSize = survey.Side, channels = survey.Channels;    // a sample's median, not the first image's size
        string presetName = o.Preset ?? (ViewParts.IsSmall(imageSize) ? PresetNames.Quick : PresetNames.Paper);
        var basePreset = method.Defaults(presetName);
        bool small = presetName != PresetNames.Paper;
        int size = small ? imageSize : Math.Min(imageSize, PaperViewSize);      // the views' side: photos are cropped to 224
        foreach (var split in new[] { parsed.Train, parsed.Test })
            if (split is FolderDataset folder) folder.DecodeSide = 2 * size;   // crops down to ¼ of the area stay downsampled
        long cacheBytes = (long)o.CacheMb << 20;                                // decoded folder images stay cached
        var data = new DataSplits(CachedDataset.Over(parsed.Train, cacheBytes), parsed.Test is { } t ? CachedDataset.Over(t, cacheBytes / 4) : null);
        var train = Limited(data.Train);
        var stem = o.Stem switch
        {
            null => basePreset.Stem ?? (small ? ResNetStem.Cifar : ResNetStem.ImageNet),
            "cifar" => ResNetStem.Cifar,
            "imagenet" => ResNetStem.ImageNet,
            var s => throw new ArgumentException($"--stem must be cifar or imagenet, not '{s}'"),
        };
        int width = o.Width ?? basePreset.Width;
        if (width < 1) throw new ArgumentException($"--width must be positive, not {width}");
        if (o.Backbone.StartsWith("vit", StringComparison.Ordinal) && (o.Width is not null || o.Stem is not null))
            throw new ArgumentException($"--width and --stem shape the ResNets; {o.Backbone} has a fixed size (leave them out)");
        var preset = method.ForBackbone(basePreset, ResolveBackbone(o, stem, width, size, channels, small), small);
        var (methodOptions, recipe) = (preset.Method, preset.Optimizer);
        int batch = o.BatchSize ?? recipe.BatchSize;
        if (batch < 2) throw new ArgumentException($"--batch-size must be at least 2, not {batch}");
        if (o.HeadLayers is int headLayers) methodOptions = method.WithHeadLayers(methodOptions, headLayers);
        if (o.BnSplits is int splits) methodOptions = method.WithBnSplits(methodOptions, splits);
        if (o.Temperature is float temperature) methodOptions = method.WithTemperature(methodOptions, temperature);
        methodOptions = method.ForBatch(methodOptions, batch * worldSize);     // a queue holds every rank's keys
        if (o.SyncBn && method.ShufflesBatchNorm && worldSize > 1)
            throw new ArgumentException($"--sync-bn would undo {method.Name}'s shuffling BN (per-rank statistics of shuffled keys, --bn-splits); leave it out");
        int epochs = o.Epochs ?? preset.EpochsFor(train.Count);
        float? cropMinScale = o.CropMinScale ?? preset.CropMinScale;
        if (epochs < 1) throw new ArgumentException($"--epochs must be at least 1, not {epochs}");
        return new Recipe
        {
            Options = o, Data = data, Train = train, ImageSize = size, Channels = channels, Small = small, PresetName = presetName, SizeSurvey = survey,
            Method = method, MethodOptions = methodOptions, Optimizer = recipe,
            Views = cropMinScale is float minScale ? method.Views(size, channels).WithCropMinScale(minScale) : method.Views(size, channels),
            CropMinScale = cropMinScale,
            EvalView = ViewParts.Eval(size, channels),
            Epochs = epochs, BatchSize = batch, WorldSize = worldSize, Lr = o.Lr ?? recipe.LrFor(batch * worldSize),
        };
    }

    /// <summary>The encoder <c>--backbone</c> names: a ResNet of <c>--width</c> with the stem, or a ViT on patches of 4 px for
    /// small images (7×7 tokens at 28 px, 8×8 at 32 px) and 16 px otherwise.</summary>
    static BackboneOptions ResolveBackbone(TrainOptions o, ResNetStem stem, int width, int size, int channels, bool small) => o.Backbone switch
    {
        "resnet18" => new ResNet.Options(Depth: 18, Stem: stem, InChannels: channels, Width: width, NumClasses: 0),
        "resnet34" => new ResNet.Options(Depth: 34, Stem: stem, InChannels: channels, Width: width, NumClasses: 0),
        "resnet50" => new ResNet.Options(Depth: 50, Stem: stem, InChannels: channels, Width: width, NumClasses: 0),
        "vit-tiny" or "vit-small" when size % (small ? 4 : 16) != 0 =>
            throw new ArgumentException($"--backbone {o.Backbone} needs an image size divisible by its patch size {(small ? 4 : 16)}, not {size}"),
        "vit-tiny" => VisionTransformer.Options.Tiny(size, small ? 4 : 16, channels),
        "vit-small" => VisionTransformer.Options.Small(size, small ? 4 : 16, channels),
        _ => throw new ArgumentException($"--backbone must be resnet18, resnet34, resnet50, vit-tiny or vit-small, not '{o.Backbone}'"),
    };

    /// <summary>The encoder in a few words for the log: "resnet18 width 16" or "vit-tiny (patch 4, 192-d, 12 blocks)".</summary>
    public string DescribeBackbone() => MethodOptions.Backbone switch
    {
        VisionTransformer.Options v => $"{Options.Backbone} (patch {v.PatchSize}, {v.EmbedDim}-d, {v.Depth} blocks)",
        ResNet.Options r => $"{Options.Backbone} width {r.Width}, {(r.Stem == ResNetStem.Cifar ? "cifar" : "imagenet")} stem",
        _ => Options.Backbone,
    };

    /// <summary>
    /// The optimiser the method's recipe names, over the method's trainable parameters. LARS gets two groups: weights
    /// (adapted, decayed) and biases + norm parameters (neither). The second group's lr is the first's × its
    /// <see cref="ParamGroup.LrScale"/>, 1 except for Barlow Twins (Zbontar et al. 2021, "Implementation details":
    /// lr 0.2 for weights, 0.0048 for biases and BN parameters, both × B/256), so the schedule scales both.
    /// </summary>
    public Optimizer BuildOptimizer(SslMethod method) => BuildOptimizer(Optimizer, method, Lr);

    /// <summary><see cref="BuildOptimizer(SslMethod)"/> for any optimiser recipe and peak lr (the step golden tests build
    /// methods without a data set).</summary>
    public static Optimizer BuildOptimizer(OptimizerDefaults r, SslMethod method, float lr)
    {
        if (r.Kind == OptimizerKind.AdamW) return new AdamW(method.OptimizerParameters(), lr, beta1: r.Momentum, weightDecay: r.WeightDecay);
        if (r.Kind != OptimizerKind.Lars) return new Sgd(method.OptimizerParameters(), lr, r.Momentum, r.WeightDecay);
        float biasScale = r.BiasAndNormLrScale;
        var (weights, biasAndNorm) = ParamGroup.SplitBiasAndNorm(method.OptimizerParameters());
        var groups = new List<ParamGroup>();
        if (weights.Count > 0) groups.Add(new ParamGroup(weights) { Lr = lr, WeightDecay = r.WeightDecay, Momentum = r.Momentum });
        if (biasAndNorm.Count > 0)
            groups.Add(new ParamGroup(biasAndNorm) { Lr = lr * biasScale, LrScale = biasScale, Momentum = r.Momentum, LarsAdaptation = false });
        return new Lars(groups);
    }

    /// <summary>Warmup + cosine, or step decay at the recipe's fractions of the run.</summary>
    public LrSchedule BuildSchedule(int stepsPerEpoch)
    {
        var r = Optimizer;
        int total = Epochs * stepsPerEpoch;
        if (r.Schedule == LrScheduleKind.Step)
            return new StepDecay(Lr, r.StepMilestones.Select(f => (int)(f * total)), 0.1f);
        int warmup = (int)(r.WarmupEpochsFor(Epochs) * stepsPerEpoch);
        return new WarmupCosine(Lr, warmup, total);
    }
}
