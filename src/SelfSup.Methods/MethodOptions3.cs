namespace SelfSup.Methods;

/// <summary>DenseCL (Wang et al. 2021). Paper defaults from the official WXinlong/DenseCL code
/// (configs/selfsup/densecl/densecl_imagenet_200ep.py); the small preset follows MoCo v2's (below).</summary>
public sealed record DenseClOptions : MethodOptions
{
    /// <summary>Hidden width of both heads: the global MLP F → hidden → D and the dense 1×1 convs F → hidden → D (2048).</summary>
    public int Hidden { get; init; } = 2048;
    /// <summary>Size K of each of the two queues, global keys and pooled dense keys (65536); divisible by the batch size.</summary>
    public int QueueSize { get; init; } = 65536;
    /// <summary>Key-encoder momentum m (0.999).</summary>
    public float Momentum { get; init; } = 0.999f;
    /// <summary>τ of both InfoNCE terms (0.2).</summary>
    public float Temperature { get; init; } = 0.2f;
    /// <summary>λ in loss = (1−λ)·global + λ·dense (0.5).</summary>
    public float LossLambda { get; init; } = 0.5f;
    /// <summary>λ is 0 for the first n iterations (the official DenseCLWarmupHook, start_iters 1000 in the paper's
    /// variant that starts from global matching); 0 = no warm-up, as the official ImageNet config.</summary>
    public int LossLambdaWarmupSteps { get; init; }
    /// <summary>Simulated devices G for shuffling BN (8 as the official 8-GPU runs); 1 = plain BN.</summary>
    public int BnSplits { get; init; } = 8;

    /// <summary>SGD lr 0.03·B/256 (the official ImageNet config: lr 0.03 at batch 32×8 = 256; its COCO config uses 0.3
    /// for 800 epochs), momentum 0.9, wd 1e-4, cosine to 0, 200 epochs.</summary>
    public override OptimizerDefaults DefaultOptimizer { get; init; } =
        new(OptimizerKind.Sgd, 0.03f, LrScaling.Linear, 0.9f, 1e-4f, LrScheduleKind.Cosine, 0, [], 256, 200);

    /// <summary>ResNet-50, heads 2048 → 128, K 65536, m 0.999, τ 0.2, λ 0.5, 8 BN splits.</summary>
    public static DenseClOptions Paper() => new() { Backbone = new ResNet.Options(Depth: 50, NumClasses: 0) };

    /// <summary>MoCo v2's small preset carried over (the paper has no CIFAR recipe): CIFAR stem, K 4096 for both queues,
    /// m 0.99, 8 BN splits, heads F → 512 → 128, τ 0.2, λ 0.5; SGD 0.03·B/256, momentum 0.9, wd 5e-4, cosine, batch 512,
    /// 200 epochs (= <c>MoCoOptions.Small(v2: true).DefaultOptimizer</c>).</summary>
    public static DenseClOptions Small() => new()
    {
        Backbone = SmallBackbone, Hidden = 512, QueueSize = 4096, Momentum = 0.99f,
        DefaultOptimizer = new(OptimizerKind.Sgd, 0.03f, LrScaling.Linear, 0.9f, 5e-4f, LrScheduleKind.Cosine, 0, [], 512, 200),
    };
}
