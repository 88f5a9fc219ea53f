namespace SelfSup.Methods;

/// <summary>One registered method: its name, paper, a one-line summary and its two presets.</summary>
public sealed record MethodInfo(string Name, string Citation, string Summary, Func<MethodOptions> Paper, Func<MethodOptions> Small)
{
    /// <summary>The preset for the data: <see cref="Small"/> for images of 64 px or less, else the paper's.</summary>
    public MethodOptions Defaults(bool small) => small ? Small() : Paper();
}

/// <summary>The methods by name (for <c>selfsup train --method</c> and <c>selfsup methods</c>).</summary>
public static class Methods
{
    static readonly MethodInfo[] all =
    [
        new("instdisc", "Wu et al. 2018, Unsupervised Feature Learning via Non-Parametric Instance Discrimination (CVPR)",
            "memory bank of 128-d unit vectors (m 0.5), NCE with K 4096 uniform noise samples and Z from the first batch; 1 view",
            InstDiscOptions.Paper, InstDiscOptions.Small),
        new("mocov1", "He et al. 2020, Momentum Contrast for Unsupervised Visual Representation Learning (CVPR)",
            "momentum key encoder (m 0.999), FIFO queue of 65536 keys, InfoNCE τ 0.07, shuffling BN over 8 splits",
            () => MoCoOptions.Paper(v2: false), () => MoCoOptions.Small(v2: false)),
        new("mocov2", "Chen et al. 2020, Improved Baselines with Momentum Contrastive Learning (arXiv:2003.04297)",
            "MoCo v1 + 2-layer MLP head, τ 0.2, blur augmentation, cosine lr",
            () => MoCoOptions.Paper(v2: true), () => MoCoOptions.Small(v2: true)),
        new("simclr", "Chen et al. 2020, A Simple Framework for Contrastive Learning of Visual Representations (ICML)",
            "NT-Xent over 2N views (2N−2 negatives), 2-layer projection head with BN, LARS, warmup + cosine",
            SimClrOptions.Paper, SimClrOptions.Small),
        new("byol", "Grill et al. 2020, Bootstrap Your Own Latent: A New Approach to Self-Supervised Learning (NeurIPS)",
            "online predictor regresses a moving-average target's projection (τ 0.996 → 1, cosine), 2 − 2·cos both ways, no negatives, LARS",
            ByolOptions.Paper, ByolOptions.Small),
        new("barlowtwins", "Zbontar et al. 2021, Barlow Twins: Self-Supervised Learning via Redundancy Reduction (ICML)",
            "cross-correlation of batch-standardised 8192-d projections pushed to the identity, λ 0.0051 off-diagonal, LARS",
            BarlowTwinsOptions.Paper, BarlowTwinsOptions.Small),
        new("mocov3", "Chen, Xie & He 2021, An Empirical Study of Training Self-Supervised Vision Transformers (ICCV)",
            "base encoder + predictor vs a momentum encoder (m 0.99 → 1, cosine), in-batch negatives, symmetric InfoNCE ×2τ; ResNet: LARS τ 1.0, ViT: AdamW τ 0.2, frozen patch projection",
            MoCoV3Options.Paper, MoCoV3Options.Small),
        new("densecl", "Wang et al. 2021, Dense Contrastive Learning for Self-Supervised Visual Pre-Training (CVPR)",
            "MoCo v2 + dense 1×1-conv head; positives by argmax of backbone-feature similarity, two queues, (1−λ)·global + λ·dense, λ 0.5",
            DenseClOptions.Paper, DenseClOptions.Small),
    ];

    public static IReadOnlyList<MethodInfo> All => all;
    public static IReadOnlyList<string> Names => all.Select(m => m.Name).ToArray();

    /// <summary>The registered method called <paramref name="name"/> (case-insensitive).</summary>
    public static MethodInfo Get(string name) =>
        all.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"unknown method '{name}' (known: {string.Join(", ", Names)})");

    /// <summary>Builds method <paramref name="name"/> with <paramref name="options"/> (of that method's options type).</summary>
    /// <param name="name">A registered name (case-insensitive).</param>
    /// <param name="options">That method's options record, e.g. <c>MoCoOptions.Small(v2: true) with { ... }</c>.</param>
    /// <param name="rng">Initialises all weights, queues and banks, and seeds the method's own samplers.</param>
    /// <param name="datasetSize">Number of training images: InstDisc's memory bank has one row per image; others ignore it.</param>
    public static SslMethod Create(string name, MethodOptions options, Generator rng, int datasetSize = 0)
    {
        var info = Get(name);
        return (info.Name, options) switch
        {
            ("instdisc", InstDiscOptions o) => new InstDisc(o, datasetSize, rng),
            ("mocov1" or "mocov2", MoCoOptions o) => new MoCo(info.Name, o, rng),
            ("simclr", SimClrOptions o) => new SimClr(o, rng),
            ("byol", ByolOptions o) => new Byol(o, rng),
            ("barlowtwins", BarlowTwinsOptions o) => new BarlowTwins(o, rng),
            ("mocov3", MoCoV3Options o) => new MoCoV3(o, rng),
            ("densecl", DenseClOptions o) => new DenseCl(o, rng),
            _ => throw new ArgumentException($"method '{info.Name}' does not take {options.GetType().Name}"),
        };
    }
}
