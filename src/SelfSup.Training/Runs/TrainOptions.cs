namespace SelfSup.Training;

/// <summary>
/// What `selfsup train` was asked for. Null means "the method's default for this data" (resolved by <see cref="Recipe"/>).
/// </summary>
public sealed record TrainOptions
{
    public string Method { get; init; } = "mocov2";
    public string Data { get; init; } = "fashion-mnist";
    /// <summary>resnet18, resnet34 or resnet50.</summary>
    public string Backbone { get; init; } = "resnet18";
    /// <summary>Base width (64 = torchvision's).</summary>
    public int Width { get; init; } = 64;
    /// <summary>cifar or imagenet; null: cifar for images of 64 px or less.</summary>
    public string? Stem { get; init; }
    /// <summary>small or paper; null: small for images of 64 px or less.</summary>
    public string? Preset { get; init; }
    public int? Epochs { get; init; }
    public int? BatchSize { get; init; }
    /// <summary>Peak learning rate; null: the recipe's base lr scaled for the batch size.</summary>
    public float? Lr { get; init; }
    /// <summary>SimCLR's projection-head depth: 2 (SimCLR) or 3 (SimCLR v2); null: the method's default.</summary>
    public int? HeadLayers { get; init; }
    public string? Out { get; init; }
    public bool Resume { get; init; }
    public ulong Seed { get; init; }
    /// <summary>Decode/augment threads of the loader.</summary>
    public int LoaderThreads { get; init; } = 2;
    /// <summary>kNN monitor every N epochs (0: only after the last).</summary>
    public int KnnEvery { get; init; } = 1;
    public int KnnK { get; init; } = 200;
    public float KnnTemperature { get; init; } = 0.1f;
    /// <summary>Training images for the kNN monitor's bank (0: all); a subset keeps the per-epoch check short.</summary>
    public int KnnTrainLimit { get; init; }
    /// <summary>Use only the first N training images (0: all); for quick runs and tests.</summary>
    public int TrainLimit { get; init; }
}
