using System.Globalization;
using SelfSup.Engine;
using SelfSup.Engine.Nn;

namespace SelfSup.Training;

/// <summary>
/// The encoder that evaluation probes when it starts from inside the projection head: the backbone followed by the
/// first K head layers, a layer being one Linear → [BN] → [ReLU] block (the last one has no ReLU). SimCLR v2 (Chen
/// et al. 2020b, "Big Self-Supervised Models are Strong Semi-Supervised Learners", §2) fine-tunes "from a middle layer
/// of the projection head" (the first layer of its 3-layer head) instead of throwing the head away; K = 0 is the
/// backbone alone. The head is rebuilt from a checkpoint's <c>head.*</c> weights (the <see cref="Mlp"/> layout,
/// children "0", "1", ...: a 2-d <c>weight</c> is a Linear, a <c>running_mean</c> a BatchNorm1d, an index without
/// tensors a ReLU), and the encoder is in eval mode (BN uses its running statistics). Children: "backbone", "head".
/// </summary>
public sealed class HeadLayerEncoder : UnaryModule
{
    readonly UnaryModule backbone;
    readonly Sequential head;

    /// <param name="backbone">The trained backbone (its weights already loaded).</param>
    /// <param name="headLayers">The head's first <see cref="HeadLayers"/> layers.</param>
    /// <param name="layers">How many head layers <paramref name="headLayers"/> holds.</param>
    public HeadLayerEncoder(UnaryModule backbone, Sequential headLayers, int layers)
    {
        this.backbone = Child("backbone", backbone);
        head = Child("head", headLayers);
        HeadLayers = layers;
        Eval();
    }

    /// <summary>K: the head layers applied after the backbone.</summary>
    public int HeadLayers { get; }

    /// <summary>Output width: the K-th layer's (its Linear's out features).</summary>
    public int FeatureDim => head.Layers.OfType<Linear>().Last().OutFeatures;

    public override Tensor Forward(Tensor x) => head.Forward(backbone.Forward(x));     // (N, C, H, W) → (N, D_K)

    /// <summary>
    /// The backbone followed by the first <paramref name="layers"/> layers of the head stored in
    /// <paramref name="headState"/> (a checkpoint's "head." section, prefix removed). Fails with a message naming
    /// <paramref name="source"/> when the checkpoint has no head, the head has fewer layers, or it is not an MLP.
    /// </summary>
    public static HeadLayerEncoder FromCheckpoint(UnaryModule backbone, StateDict headState, int layers, string source)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(layers);
        if (layers == 0) throw new ArgumentException("head layer 0 is the backbone itself; use the backbone");
        if (headState.Count == 0) throw new InvalidDataException($"{source}: the checkpoint has no projection head ('head.*' weights) to probe from");
        var modules = ReadModules(headState, source);
        int available = modules.Count(m => m.Kind == ModuleKind.Linear);
        if (layers > available)
            throw new ArgumentException($"{source}: the projection head has {available} layer{(available == 1 ? "" : "s")}, so it cannot be probed from head layer {layers}");
        int linearsSeen = 0, end = modules.Count;                              // cut before the (K+1)-th Linear
        for (int i = 0; i < modules.Count; i++)
        {
            if (modules[i].Kind != ModuleKind.Linear) continue;
            if (linearsSeen++ == layers) { end = i; break; }
        }
        var kept = modules.Take(end).Select(m => m.Build()).ToArray();
        var sequential = new Sequential(kept);
        var state = new StateDict();
        foreach (var (key, entry) in headState)
        {
            if (Index(key, source) >= end) continue;
            if (entry.Float is { } f) state.Add(key, f); else state.Add(key, entry.Int!);
        }
        sequential.LoadStateDict(state, strict: true);
        return new HeadLayerEncoder(backbone, sequential, layers);
    }

    enum ModuleKind { Linear, BatchNorm, ReLU }

    /// <summary>One child of the head: a Linear (In → Out, with or without bias), a BatchNorm1d over Out (with or
    /// without weight and bias: Affine) or a ReLU.</summary>
    sealed record HeadModule(ModuleKind Kind, int In = 0, int Out = 0, bool Bias = false, bool Affine = false)
    {
        public UnaryModule Build() => Kind switch
        {
            ModuleKind.Linear => new Linear(In, Out, new Generator(0), bias: Bias),     // weights come from the checkpoint
            ModuleKind.BatchNorm => new BatchNorm1d(Out, affine: Affine),
            _ => new ReLU(),
        };
    }

    /// <summary>The head's modules in order, told apart by their tensors (see the class summary).</summary>
    static List<HeadModule> ReadModules(StateDict headState, string source)
    {
        int last = headState.Keys.Max(k => Index(k, source));
        var modules = new List<HeadModule>();
        for (int i = 0; i <= last; i++)
        {
            string p = i.ToString(CultureInfo.InvariantCulture) + ".";
            var names = headState.Keys.Where(k => k.StartsWith(p, StringComparison.Ordinal)).Select(k => k[p.Length..]).ToHashSet();
            if (names.Count == 0) modules.Add(new HeadModule(ModuleKind.ReLU));
            else if (names.Contains("running_mean"))
                modules.Add(new HeadModule(ModuleKind.BatchNorm, Out: headState[p + "running_mean"].Shape[0], Affine: names.Contains("weight")));
            else if (names.Contains("weight") && headState[p + "weight"].Shape is [int o, int n])
                modules.Add(new HeadModule(ModuleKind.Linear, n, o, Bias: names.Contains("bias")));
            else
                throw new InvalidDataException($"{source}: head.{i} ({string.Join(", ", names)}) is neither a Linear nor a BatchNorm1d; only MLP heads can be probed from a layer");
        }
        return modules;
    }

    static int Index(string key, string source)
    {
        int dot = key.IndexOf('.');
        return dot > 0 && int.TryParse(key.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out int i) ? i
            : throw new InvalidDataException($"{source}: head key 'head.{key}' is not of an nn.Sequential head ('head.0.weight', ...)");
    }
}
