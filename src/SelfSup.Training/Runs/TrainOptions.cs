namespace SelfSup.Training;

/// <summary>
/// What `selfsup train` was asked for. Null means "the method's default for this data" (resolved by <see cref="Recipe"/>).
/// Every property is also an option of the command line (<c>--batch-size</c>) and a key of a config file
/// (<c>batch-size: 256</c>), through <see cref="OptionTable"/>: a new property needs nothing more than its declaration
/// (with an <see cref="OptionRuleAttribute"/> for its valid values, and <see cref="RunControlAttribute"/> if it does not
/// change what training computes).
/// </summary>
public sealed record TrainOptions
{
    [KnownMethod] public string Method { get; init; } = SimClr.MethodName;
    public string Data { get; init; } = "fashion-mnist";
    /// <summary>resnet18, resnet34, resnet50, vit-tiny or vit-small.</summary>
    [OneOf("resnet18", "resnet34", "resnet50", "vit-tiny", "vit-small")] public string Backbone { get; init; } = "resnet18";
    /// <summary>The ResNet's base width (64 = torchvision's); null: the preset's (32 for quick, 64 otherwise).</summary>
    [AtLeast(1)] public int? Width { get; init; }
    /// <summary>cifar or imagenet; null: the preset's (imagenet for quick; cifar for small; imagenet for paper).</summary>
    [OneOf("cifar", "imagenet")] public string? Stem { get; init; }
    /// <summary>quick (learning per CPU-minute), small (the official CIFAR code's long schedules) or paper (ImageNet);
    /// null: quick for images of 64 px or less, paper otherwise.</summary>
    [OneOf(PresetNames.Quick, PresetNames.Small, PresetNames.Paper)] public string? Preset { get; init; }
    /// <summary>Null: the preset's (the quick preset's: its budget of images ÷ the training images).</summary>
    [AtLeast(1)] public int? Epochs { get; init; }
    [AtLeast(2)] public int? BatchSize { get; init; }
    /// <summary>Smallest fraction of an image's area a random crop keeps (every RandomResizedCrop of the views);
    /// null: the preset's (0.3 for quick; else the views' own, 0.08 for most methods as torchvision's default).</summary>
    [Positive, AtMost(1)] public float? CropMinScale { get; init; }
    /// <summary>Peak learning rate; null: the recipe's base lr scaled for the batch size.</summary>
    [Positive] public float? Lr { get; init; }
    /// <summary>SimCLR's projection-head depth: 2 (SimCLR) or 3 (SimCLR v2); null: the method's default.</summary>
    public int? HeadLayers { get; init; }
    /// <summary>Softmax temperature τ of the contrastive losses (InstDisc, MoCo, SimCLR, MoCo v3, DenseCL); null: the recipe's.</summary>
    [Positive] public float? Temperature { get; init; }
    /// <summary>MoCo's and DenseCL's shuffling BN: batch-norm groups over the global batch, the devices of the official
    /// code (a multiple of the ranks under mpirun, each rank running its share); null: the recipe's (8).</summary>
    [AtLeast(1)] public int? BnSplits { get; init; }
    /// <summary>Run folder (checkpoints, metrics.csv, config.yaml); null: runs/METHOD-TIME.</summary>
    [RunControl] public string? Out { get; init; }
    /// <summary>Continue a run: "auto" takes the newest valid checkpoint in <see cref="Out"/> made with the same options,
    /// a path that checkpoint; null starts afresh.</summary>
    [RunControl(Saved = false)] public string? Resume { get; init; }
    public ulong Seed { get; init; }
    /// <summary>Decode/augment threads of the loader (batches do not depend on it).</summary>
    [RunControl, AtLeast(0)] public int LoaderThreads { get; init; } = 2;
    /// <summary>kNN monitor every N epochs (0: only after the last).</summary>
    [RunControl, AtLeast(0)] public int KnnEvery { get; init; } = 1;
    [RunControl, AtLeast(1)] public int KnnK { get; init; } = 200;
    [RunControl, Positive] public float KnnTemperature { get; init; } = 0.1f;
    /// <summary>Training images for the kNN monitor's bank (0: all); a subset keeps the per-epoch check short.</summary>
    [RunControl, AtLeast(0)] public int KnnTrainLimit { get; init; }
    /// <summary>Use only the first N training images (0: all); for quick runs and tests.</summary>
    [AtLeast(0)] public int TrainLimit { get; init; }
    /// <summary>Also save last.safetensors every N steps within an epoch (0: only at epoch ends); null: about every
    /// <see cref="EpochLoop.DefaultCheckpointMinutes"/> minutes of training, so a killed run loses little.</summary>
    [RunControl, AtLeast(0)] public int? CheckpointEverySteps { get; init; }
    /// <summary>Batches whose loss or gradients are not finite that may be skipped (logged) before the run stops
    /// (0: the first one stops it). A skipped batch changes nothing: no step, no queue or momentum update.</summary>
    [RunControl, AtLeast(0)] public int SkipNonfinite { get; init; }
    /// <summary>Folder images whose header claims more pixels are unreadable files (PIL's decompression-bomb guard);
    /// JPEGs under it are decoded at a reduced scale when the views are much smaller.</summary>
    [AtLeast(1)] public long MaxImagePixels { get; init; } = Vision.ImageLimits.DefaultMaxPixels;
    /// <summary>Megabytes of decoded folder images kept in memory between epochs (training split; a quarter of it for the
    /// test split); 0 decodes every image every epoch.</summary>
    [RunControl, AtLeast(0)] public int CacheMb { get; init; } = 2048;
    /// <summary>Under mpirun: batch norm over the global batch (SyncBN) instead of each rank's shard, as one process with
    /// the whole batch would. SimCLR, BYOL, Barlow Twins and MoCo v3 do it without asking (their papers do); MoCo and
    /// DenseCL refuse it (their shuffling BN is per-device on purpose).</summary>
    public bool SyncBn { get; init; }
    /// <summary>Under mpirun: after every step, check that every rank holds the same parameters, queue, bank and
    /// generators as rank 0 (a hash of each), stopping at the first step where one differs. For tests and debugging.</summary>
    [RunControl] public bool CheckReplicas { get; init; }
    /// <summary>Under mpirun: seconds a rank waits in a collective for the others before the job ends, naming the ranks
    /// that never came (hung or far behind; a rank that dies ends the job at once).</summary>
    [RunControl, Positive] public double RankTimeout { get; init; } = Distributed.MpiCommunicator.DefaultTimeout.TotalSeconds;
    /// <summary>Stop at the first unreadable file or folder passed over (a FIFO, a link already listed, no permission)
    /// instead of skipping it with a warning.</summary>
    [RunControl] public bool Strict { get; init; }
}
