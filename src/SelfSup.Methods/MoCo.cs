using SelfSup.Methods.Components;
using SelfSup.Methods.Heads;
using SelfSup.Methods.Losses;

namespace SelfSup.Methods;

/// <summary>
/// MoCo (He et al. 2020, "Momentum Contrast for Unsupervised Visual Representation Learning", Algorithm 1) and MoCo v2
/// (Chen et al. 2020, "Improved Baselines with Momentum Contrastive Learning": MLP head, τ 0.2, blur, cosine lr).
/// A query encoder f_q and a key encoder f_k, a momentum copy of it; InfoNCE between each query and its key (the
/// positive, index 0) against a FIFO queue of K past keys. Keys come from the shuffled batch normalised in G groups
/// (shuffling BN, see <see cref="SplitBatchNorm"/>); the query is also normalised in G groups, as on G devices and in the
/// official CIFAR demo. After the step: θ_k ← m·θ_k + (1−m)·θ_q, then the keys are enqueued. (The official code does
/// both inside the next forward — the update before computing keys, the enqueue after the logits — which is the same
/// sequence.) On several ranks the groups are spread over them and the keys of every rank enqueued, as the official
/// multi-GPU code (<see cref="SplitBatchNorm.ShuffledForward"/>), so each rank's queue is the same.
/// State-dict: "backbone.", "head." (query), "key.backbone.", "key.head."; extra state "queue", "queue_ptr".
/// </summary>
public sealed class MoCo : SslMethod
{
    readonly MoCoOptions o;
    readonly Encoder query;                             // f_q = head(backbone(x)); its parts are registered as "backbone", "head"
    readonly Encoder key;                               // f_k, momentum copy, no gradient
    readonly FeatureQueue queue;                        // (K, D) keys
    readonly Generator shuffleRng;                      // shuffling BN's permutations
    Tensor? pendingKeys;                                // this batch's keys (N, D), enqueued in AfterStep

    /// <param name="name"><see cref="V1Name"/> or <see cref="V2Name"/> (only the name; the options decide head and τ).</param>
    /// <param name="options">Queue, momentum, τ, head, BN splits.</param>
    /// <param name="rng">Initialises the query encoder (copied into the key encoder) and the queue; seeds the shuffles.</param>
    public MoCo(string name, MoCoOptions options, Generator rng)
    {
        if (options.BnSplits < 1) throw new ArgumentException($"BN splits must be ≥ 1, got {options.BnSplits}");
        Name = name; o = options;
        var backbone = Child("backbone", BuildBackbone(options, rng));
        var head = Child("head", Head(backbone.FeatureDim, rng));
        query = new Encoder(backbone, head);
        key = Child("key", new Encoder(BuildBackbone(options, rng), Head(backbone.FeatureDim, rng)));
        MomentumEncoder.InitialiseCopy(query, key);                             // θ_k = θ_q, requires_grad off
        queue = new FeatureQueue(options.QueueSize, options.Dim, rng);
        shuffleRng = Generator.Derive(rng.NextULong(), 2);
    }

    Mlp Head(int features, Generator rng) =>
        o.Mlp ? ProjectionHeads.MoCoV2(features, o.Dim, rng) : ProjectionHeads.Linear(features, o.Dim, rng);

    public override string Name { get; }

    /// <summary>The registry names of MoCo v1 and v2.</summary>
    public const string V1Name = "mocov1", V2Name = "mocov2";
    public override Backbone Backbone => query.Backbone;
    public override int ViewCount => 2;
    public FeatureQueue Queue => queue;
    public Encoder QueryEncoder => query;
    public Encoder KeyEncoder => key;

    public override Tensor Loss(IReadOnlyList<Tensor> views, int[] indices)
    {
        CheckViews(views, indices, 2);
        queue.CheckBatchSize(views[0].Shape[0] * WorldSize);                    // every rank's keys are enqueued
        var q = Ops.Normalize(SplitBatchNorm.Forward(query, views[0], o.BnSplits, Group), 1);   // (N, D) queries
        var k = Keys(views[1]);                                                 // (N, D) keys, no gradient
        pendingKeys = k;
        return InfoNce.WithQueue(q, k, queue.Keys, o.Temperature);              // logits (N, 1+K), positive at 0
    }

    /// <summary>k = normalise(f_k(x)) with shuffling BN, outside autograd: (N, C, H, W) → (N, D).</summary>
    public Tensor Keys(Tensor x)
    {
        using var _ = Grad.Disabled();
        return Ops.Normalize(SplitBatchNorm.ShuffledForward(key, x, o.BnSplits, shuffleRng, Group), 1);
    }

    /// <summary>Momentum update of the key encoder (constant m), then enqueue this batch's keys.</summary>
    public override void AfterStep(int step, int totalSteps)
    {
        if (pendingKeys is null) return;
        MomentumEncoder.Update(from: query, to: key, o.Momentum);              // θ_k ← m·θ_k + (1−m)·θ_q
        queue.Enqueue(Ops.AllGather(pendingKeys, Group));                      // oldest W·N keys replaced by every rank's
        pendingKeys = null;
    }

    /// <summary>The query encoder's backbone and head (the key encoder follows by momentum).</summary>

    public override StateDict ExtraState()
    {
        var s = new StateDict();
        queue.SaveTo(s);
        s.Add("shuffle_rng", SaveGenerator(shuffleRng));
        return s;
    }

    public override void LoadExtraState(StateDict state)
    {
        queue.LoadFrom(state);
        LoadGenerator(shuffleRng, state.Int("shuffle_rng"));
    }
}

/// <summary>MoCo v1/v2's options (defaults: facebookresearch/moco, v1's; v2 sets <see cref="Mlp"/> and τ 0.2).</summary>
public sealed record MoCoOptions : MethodOptions
{
    /// <summary>v2's 2-layer MLP head instead of v1's Linear.</summary>
    public bool Mlp { get; init; }
    /// <summary>Queue size K (65536); must be divisible by the batch size.</summary>
    public int QueueSize { get; init; } = 65536;
    /// <summary>Key-encoder momentum m (0.999).</summary>
    public float Momentum { get; init; } = 0.999f;
    /// <summary>τ (v1 0.07, v2 0.2).</summary>
    public float Temperature { get; init; } = 0.07f;
    /// <summary>Simulated devices G for shuffling BN (<c>--bn-splits</c>, 8 as the official 8-GPU runs); 1 = plain BN.</summary>
    public int BnSplits { get; init; } = 8;
}
