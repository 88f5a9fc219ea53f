using SelfSup.Methods.Components;
using SelfSup.Methods.Heads;
using SelfSup.Methods.Losses;

namespace SelfSup.Methods;

/// <summary>
/// Instance discrimination (Wu et al. 2018, "Unsupervised Feature Learning via Non-Parametric Instance
/// Discrimination"): every image is its own class. An encoder maps an image to a 128-d unit vector f; a memory bank
/// holds one vector v_i per training image; P(i|f) = exp(v_iᵀf/τ)/Z is learnt with NCE against K uniform noise rows
/// (or, with K = 0, the full softmax over the bank), and after the step the bank row becomes normalise(m·v_i + (1−m)·f).
/// One view per image. State: bank "memory", the Z estimate "nce_z" (−1 until the first batch), the noise sampler.
/// </summary>
public sealed class InstDisc : SslMethod
{
    readonly InstDiscOptions o;
    readonly Backbone backbone;
    readonly Mlp head;                                  // fc to the 128-d embedding
    readonly MemoryBank bank;                           // (n, 128)
    readonly Generator noiseRng;                        // draws the K noise rows
    float z = -1;                                       // Z, estimated once from the first batch
    float? pendingZ;                                    // the first batch's estimate, committed in AfterStep
    (int[] Indices, Tensor Features)? pending;          // this batch's f (detached), for the bank write

    public InstDisc(InstDiscOptions options, int datasetSize, Generator rng)
    {
        if (datasetSize <= 1) throw new ArgumentException($"InstDisc needs the dataset size for its memory bank (got {datasetSize})");
        if (options.NceK < 0) throw new ArgumentException($"NCE K must be ≥ 0, got {options.NceK}");
        o = options;
        backbone = Child("backbone", BuildBackbone(options, rng));
        head = Child("head", ProjectionHeads.Linear(backbone.FeatureDim, options.Dim, rng));
        bank = new MemoryBank(datasetSize, options.Dim, rng);
        noiseRng = Generator.Derive(rng.NextULong(), 1);
    }

    /// <summary>The registry name.</summary>
    public const string MethodName = "instdisc";
    public override string Name => MethodName;
    public override Backbone Backbone => backbone;
    public override int ViewCount => 1;
    public MemoryBank Bank => bank;
    /// <summary>The normalisation constant Z; −1 before the first step.</summary>
    public float Z => z;
    /// <summary>Replaces the uniform noise draws: given the batch indices, the (B, K) noise rows. Lets a test replay the
    /// draws stored in a PyTorch fixture; null (the default) draws from the method's generator.</summary>
    internal Func<int[], IntTensor>? NoiseOverride { get; set; }

    /// <summary>f = normalise(fc(backbone(x))): (N, C, H, W) → (N, 128).</summary>
    public Tensor Embed(Tensor x) => Ops.Normalize(head.Forward(backbone.Forward(x)), 1);

    public override Tensor Loss(IReadOnlyList<Tensor> views, int[] indices)
    {
        CheckViews(views, indices, 1);
        var f = Embed(views[0]);                                                // (N, 128) unit rows
        pending = (indices.ToArray(), f.Detach());
        var v = bank.Rows;                                                      // (n, 128) v^(t−1), constant
        Tensor loss;
        if (o.NceK == 0)
        {
            var logits = Ops.MatMul(f, v.T);                                    // (N, n)   v_jᵀf for every image j
            loss = InfoNce.FromSimilarities(logits, new IntTensor(indices.ToArray(), indices.Length), o.Temperature);   // Eq. 2
        }
        else
        {
            var rows = NoiseRows(indices);                                      // (N, K+1) own row, then K noise rows
            var scores = Nce.Scores(f, v, rows, o.Temperature);                // (N, K+1) exp(vᵀf/τ)
            float zNow = z > 0 ? z : (pendingZ = Nce.EstimateZ(scores, bank.Count, Group)).Value;   // Eq. 6, first batch only
            loss = Nce.Loss(scores, zNow, bank.Count);                          // Eq. 5
        }
        if (o.ProximalLambda > 0)                                               // §3.3: λ‖v_i^(t) − v_i^(t−1)‖², v^(t) = f
        {
            var previous = Ops.IndexSelect(v, 0, indices);                      // (N, 128)
            loss = loss + o.ProximalLambda * Ops.Sum(Ops.Pow(f - previous, 2)) / indices.Length;
        }
        return loss;
    }

    /// <summary>Column 0 the sample's own index, then K indices drawn uniformly from the bank (the official AliasMethod
    /// over uniform probabilities; a draw may hit the sample itself, as there). On several ranks every rank draws the
    /// whole global batch's noise from its copy of the sampler and takes its shard's, so the draws are one process's.</summary>
    IntTensor NoiseRows(int[] indices)
    {
        int k = o.NceK, k1 = k + 1, b = indices.Length, first = ShardIndex * b;
        var noise = NoiseOverride?.Invoke(indices).Data                         // (B, K) replayed, or drawn:
                    ?? Draws(b * WorldSize * k)[(first * k)..((first + b) * k)];
        var rows = new int[b * k1];
        for (int i = 0; i < b; i++)
        {
            rows[i * k1] = indices[i];
            for (int j = 1; j < k1; j++) rows[i * k1 + j] = noise[i * k + j - 1];
        }
        return new IntTensor(rows, b, k1);
    }

    int[] Draws(int count)
    {
        var draws = new int[count];
        for (int i = 0; i < count; i++) draws[i] = noiseRng.NextInt(bank.Count);
        return draws;
    }

    /// <summary>Bank write v_i ← normalise(m·v_i + (1−m)·f_i) for this batch — every rank's rows, so the banks stay
    /// identical; fixes Z after the first batch.</summary>
    public override void AfterStep(int step, int totalSteps)
    {
        if (pending is not var (indices, features)) return;
        bank.Update(GatherIndices(indices), Ops.AllGather(features, Group), o.BankMomentum);   // (W·B) rows, (W·B, 128)
        if (pendingZ is float estimate && z <= 0) z = estimate;
        pending = null; pendingZ = null;
    }

    int[] GatherIndices(int[] indices)
    {
        if (WorldSize == 1) return indices;
        var all = Ops.AllGather(Tensor.From([.. indices.Select(i => (float)i)]), Group).ToArray();   // exact below 2²⁴
        return [.. all.Select(v => (int)v)];
    }

    public override StateDict ExtraState()
    {
        var s = new StateDict();
        s.Add("memory", bank.Rows);
        s.Add("nce_z", Tensor.Scalar(z));
        s.Add("noise_rng", SaveGenerator(noiseRng));
        return s;
    }

    public override void LoadExtraState(StateDict state)
    {
        var memory = state.Float("memory");
        if (!ShapeUtil.Equal(memory.Shape, bank.Rows.Shape))
            throw new InvalidDataException($"memory bank {ShapeUtil.Format(memory.Shape)} in the checkpoint, {ShapeUtil.Format(bank.Rows.Shape)} expected (same dataset?)");
        bank.Rows.CopyFrom(memory);
        z = state.Float("nce_z").Item();
        LoadGenerator(noiseRng, state.Int("noise_rng"));
    }
}

/// <summary>Instance discrimination's options (defaults: the official lemniscate.pytorch ImageNet code).</summary>
public sealed record InstDiscOptions : MethodOptions
{
    /// <summary>Noise samples K per positive (4096); 0 = the full non-parametric softmax over the whole bank (Eq. 2).</summary>
    public int NceK { get; init; } = 4096;
    /// <summary>τ (0.07 ImageNet, 0.1 CIFAR).</summary>
    public float Temperature { get; init; } = 0.07f;
    /// <summary>Memory-bank momentum m: v ← m·v + (1−m)·f (0.5).</summary>
    public float BankMomentum { get; init; } = 0.5f;
    /// <summary>λ of the proximal term λ‖f_i − v_i‖² (§3.3). Off by default, as in the official code (the paper tries 10–50).</summary>
    public float ProximalLambda { get; init; }
}
