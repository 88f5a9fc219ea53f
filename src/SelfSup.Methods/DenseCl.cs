using SelfSup.Methods.Components;
using SelfSup.Methods.Heads;
using SelfSup.Methods.Losses;

namespace SelfSup.Methods;

/// <summary>The key side of one batch, L2-normalised, outside autograd.</summary>
/// <param name="Global">(N, D) global keys k.</param>
/// <param name="Grid">(N, D, S) dense keys t at each location.</param>
/// <param name="PooledGrid">(N, D) normalise(mean over locations of the dense projection): the dense queue's entries.</param>
/// <param name="Maps">(N, F, h, w) the key backbone's feature maps (for the correspondence).</param>
public sealed record DenseClKeys(Tensor Global, Tensor Grid, Tensor PooledGrid, Tensor Maps);

/// <summary>
/// DenseCL (Wang et al. 2021, "Dense Contrastive Learning for Self-Supervised Visual Pre-Training", §3; official code
/// WXinlong/DenseCL densecl.py). MoCo v2 with a second, dense head and loss. Query encoder = backbone + <see cref="DenseClNeck"/>
/// (global MLP and 1×1-conv dense head); key encoder = its momentum copy. Per batch:
/// <code>
/// q, r = neck(f_q(x_q)); k, t = neck(f_k(x_k))                  global (N, D), dense (N, D, S), unit over D
/// match[i] = argmax_j cos(f_q(x_q)_i, f_k(x_k)_j)               on the backbone maps (§3.3)
/// L = (1−λ)·InfoNCE(q, k, queue) + λ·InfoNCE(r_i, t_match[i], queue2)
/// </code>
/// Keys use shuffling BN (<see cref="SplitBatchNorm"/>), the query G-group BN, as <see cref="MoCo"/> (across ranks too,
/// every rank's keys enqueued). After the step:
/// θ_k ← m·θ_k + (1−m)·θ_q, then k enters the global queue and normalise(mean_s of the dense key projection) enters the
/// dense queue (the official k2 = normalize(avgpool2(mlp2(x)))). λ is 0 for the first LossLambdaWarmupSteps iterations.
/// State-dict: "backbone.", "neck." (query), "key.backbone.", "key.neck."; extra state "queue", "queue_ptr",
/// "dense_queue", "dense_queue_ptr", "shuffle_rng", "step".
/// </summary>
public sealed class DenseCl : SslMethod
{
    readonly DenseClOptions o;
    readonly DenseClEncoder query;                      // backbone + neck, parts registered as "backbone", "neck"
    readonly DenseClEncoder key;                        // momentum copy, no gradient
    readonly FeatureQueue globalQueue;                  // (K, D) past k
    readonly FeatureQueue denseQueue;                   // (K, D) past pooled dense keys
    readonly Generator shuffleRng;                      // shuffling BN's permutations
    int nextStep;                                       // iteration the next Loss belongs to (λ warm-up)
    DenseClKeys? pendingKeys;                           // this batch's keys, enqueued in AfterStep

    /// <param name="options">Heads, queues, momentum, τ, λ, BN splits.</param>
    /// <param name="rng">Initialises the query encoder (copied into the key encoder) and the queues; seeds the shuffles.</param>
    public DenseCl(DenseClOptions options, Generator rng)
    {
        if (options.BnSplits < 1) throw new ArgumentException($"BN splits must be ≥ 1, got {options.BnSplits}");
        if (options.LossLambda is < 0 or > 1) throw new ArgumentException($"DenseCL's λ must be in [0, 1], got {options.LossLambda}");
        o = options;
        var backbone = Child("backbone", DenseBackbone(options, rng));
        var neck = Child("neck", new DenseClNeck(backbone.FeatureDim, options.Hidden, options.Dim, rng));
        query = new DenseClEncoder(backbone, neck);
        key = Child("key", new DenseClEncoder(DenseBackbone(options, rng), new DenseClNeck(backbone.FeatureDim, options.Hidden, options.Dim, rng)));
        MomentumEncoder.InitialiseCopy(query, key);                             // θ_k = θ_q, requires_grad off
        globalQueue = new FeatureQueue(options.QueueSize, options.Dim, rng);
        denseQueue = new FeatureQueue(options.QueueSize, options.Dim, rng);
        shuffleRng = Generator.Derive(rng.NextULong(), 2);
    }

    /// <summary>DenseCL needs the last feature map before pooling, so a ResNet.</summary>
    static ResNet DenseBackbone(DenseClOptions options, Generator rng) => BuildBackbone(options, rng) as ResNet
        ?? throw new ArgumentException($"densecl needs a ResNet backbone (dense features come from its last stage), not {options.Backbone.GetType().DeclaringType?.Name}");

    /// <summary>The registry name.</summary>
    public const string MethodName = "densecl";
    public override string Name => MethodName;
    public override ResNet Backbone => query.Backbone;
    public override int ViewCount => 2;
    public DenseClEncoder QueryEncoder => query;
    public DenseClEncoder KeyEncoder => key;
    public FeatureQueue GlobalQueue => globalQueue;
    public FeatureQueue DenseQueue => denseQueue;
    /// <summary>The two terms of the last <see cref="Loss"/> (before weighting), for logging and tests.</summary>
    public (float Global, float Dense) LastTerms { get; private set; }

    /// <summary>λ at iteration <paramref name="step"/>: 0 during the warm-up, then <see cref="DenseClOptions.LossLambda"/>.</summary>
    public float LambdaAt(int step) => step < o.LossLambdaWarmupSteps ? 0f : o.LossLambda;

    public override Tensor Loss(IReadOnlyList<Tensor> views, int[] indices)
    {
        CheckViews(views, indices, 2);
        globalQueue.CheckBatchSize(views[0].Shape[0] * WorldSize);              // every rank's keys are enqueued
        var maps = SplitBatchNorm.Forward(query, views[0], o.BnSplits, Group);        // (N, F, h, w) query backbone maps
        var p = query.Neck.Project(maps);
        var q = Ops.Normalize(p.Global, 1);                                     // (N, D)
        var r = Ops.Normalize(p.Grid, 1);                                       // (N, D, S)
        var k = Keys(views[1]);                                                 // no gradient
        var match = DenseContrastiveLoss.Correspondence(maps.Detach(), k.Maps); // (N, S)
        var global = InfoNce.WithQueue(q, k.Global, globalQueue.Keys, o.Temperature);                  // logits (N, 1+K)
        var dense = DenseContrastiveLoss.Loss(r, k.Grid, match, denseQueue.Keys, o.Temperature);     // logits (N·S, 1+K)
        LastTerms = (global.Item(), dense.Item());
        pendingKeys = k;
        return DenseContrastiveLoss.Combine(global, dense, LambdaAt(nextStep));
    }

    /// <summary>The key encoder's outputs for <paramref name="x"/> (N, C, H, W) with shuffling BN, outside autograd.</summary>
    public DenseClKeys Keys(Tensor x)
    {
        using var _ = Grad.Disabled();
        var maps = SplitBatchNorm.ShuffledForward(key, x, o.BnSplits, shuffleRng, Group);   // (N, F, h, w) in batch order
        var p = key.Neck.Project(maps);                                         // per sample: same as projecting before the unshuffle
        return new(Ops.Normalize(p.Global, 1), Ops.Normalize(p.Grid, 1), Ops.Normalize(p.PooledGrid, 1), maps);
    }

    /// <summary>Momentum update of the key encoder and both heads, then enqueue this batch's global and dense keys.</summary>
    public override void AfterStep(int step, int totalSteps)
    {
        if (pendingKeys is null) return;
        MomentumEncoder.Update(from: query, to: key, o.Momentum);              // θ_k ← m·θ_k + (1−m)·θ_q
        globalQueue.Enqueue(Ops.AllGather(pendingKeys.Global, Group));         // (W·N, D) every rank's keys
        denseQueue.Enqueue(Ops.AllGather(pendingKeys.PooledGrid, Group));      // (W·N, D)
        pendingKeys = null;
        nextStep = step + 1;
    }

    /// <summary>The query backbone and both heads (the key encoder follows by momentum).</summary>

    public override StateDict ExtraState()
    {
        var s = new StateDict();
        globalQueue.SaveTo(s);
        denseQueue.SaveTo(s, "dense_");
        s.Add("shuffle_rng", SaveGenerator(shuffleRng));
        s.Add("step", IntTensor.From(nextStep));
        return s;
    }

    public override void LoadExtraState(StateDict state)
    {
        globalQueue.LoadFrom(state);
        denseQueue.LoadFrom(state, "dense_");
        LoadGenerator(shuffleRng, state.Int("shuffle_rng"));
        int step = state.Int("step").Data[0];
        if (step < 0) throw new InvalidDataException($"DenseCL step {step} in the checkpoint is negative");
        nextStep = step;
    }
}

/// <summary>DenseCL's options (defaults: WXinlong/DenseCL configs/selfsup/densecl/densecl_imagenet_200ep.py).</summary>
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
}
