namespace SelfSup.Methods;

/// <summary>
/// A self-supervised method: the networks it trains, its loss on a batch of augmented views, and the state it changes
/// after each optimiser step. The trainer's loop is
/// <code>
/// var loss = method.Loss(views, indices);   // forward; no state changes except BN running statistics
/// optimizer.ZeroGrad(); loss.Backward(); optimizer.Step();
/// method.AfterStep(step, totalSteps);       // momentum update, enqueue, bank write
/// </code>
/// Its <see cref="Module.StateDict"/> holds every weight and BN buffer: the evaluated encoder under "backbone.", heads
/// under "head." (and e.g. "key." for a momentum copy). Queues, banks and constants are in <see cref="ExtraState"/>.
/// </summary>
public abstract class SslMethod : Module
{
    /// <summary>Registry name (<c>--method</c>), a constant of the method's own file.</summary>
    public abstract string Name { get; }

    /// <summary>The encoder kNN / linear probes evaluate and <c>selfsup export</c> writes (its fc is Identity: Forward
    /// gives features of <see cref="Backbone.FeatureDim"/>).</summary>
    public abstract Backbone Backbone { get; }

    /// <summary>Augmented views per image the loss takes: 2 for MoCo and SimCLR, 1 for InstDisc (one view per image, the
    /// bank supplies the other side).</summary>
    public abstract int ViewCount { get; }

    /// <summary>Loss for one batch. <paramref name="views"/>[v] is (N, C, H, W), the v-th augmentation of the same N
    /// images; <paramref name="indices"/> are their dataset indices (InstDisc's bank rows; others ignore them).
    /// Stores what <see cref="AfterStep"/> needs (keys, features) but changes no training state.</summary>
    public abstract Tensor Loss(IReadOnlyList<Tensor> views, int[] indices);

    /// <summary>After optimizer.Step(): momentum update, enqueue, bank write, using what the last <see cref="Loss"/>
    /// stored. <paramref name="step"/> is the global step (0-based) of the update just made, of
    /// <paramref name="totalSteps"/>, for momentum schedules. Does nothing if no loss was computed since the last call.</summary>
    public virtual void AfterStep(int step, int totalSteps) { }

    /// <summary>The ranks of a data-parallel job (null for one process): each rank's <see cref="Loss"/> gets its shard
    /// of the global batch, and what couples samples beyond batch norm goes through the group as the papers' multi-device
    /// code does — SimCLR's and MoCo v3's negatives from every rank, MoCo's and DenseCL's shuffling BN across ranks and
    /// keys enqueued from the whole batch, Barlow Twins' correlation over the whole batch, InstDisc's bank written with
    /// every rank's features — so that W ranks of batch B take the steps one process takes with batch W·B.</summary>
    public IProcessGroup? Group { get; set; }

    /// <summary>Processes whose shards make the global batch (1 without a <see cref="Group"/>).</summary>
    protected int WorldSize => Group?.Size ?? 1;

    /// <summary>This process's shard: rows [Rank·B, (Rank+1)·B) of the global batch.</summary>
    protected int ShardIndex => Group?.Rank ?? 0;

    /// <summary>Parameters the optimiser updates, by state-dict name: those that require gradients (momentum encoders and
    /// frozen parts do not; banks and queues are not parameters).</summary>
    public virtual IEnumerable<(string Name, Tensor Param)> OptimizerParameters() => NamedTrainableParameters();

    /// <summary>Non-parameter training state for checkpoints (queue + pointer, bank, Z, sampler state), by name.</summary>
    public virtual StateDict ExtraState() => new();

    /// <summary>Restores what <see cref="ExtraState"/> saved (shapes must match).</summary>
    public virtual void LoadExtraState(StateDict state) { }

    /// <summary>The options' backbone as a feature extractor (no classifier).</summary>
    protected static Backbone BuildBackbone(MethodOptions options, Generator rng) => options.Backbone.BuildEncoder(rng);

    /// <summary>Throws unless there are <paramref name="count"/> views of one shape and a matching index array.</summary>
    protected static void CheckViews(IReadOnlyList<Tensor> views, int[] indices, int count)
    {
        if (views.Count != count) throw new ArgumentException($"expected {count} view(s), got {views.Count}");
        foreach (var v in views)
            if (v.Rank != 4 || !ShapeUtil.Equal(v.Shape, views[0].Shape))
                throw new ArgumentException($"views must all be (N, C, H, W) of one shape; got {ShapeUtil.Format(v.Shape)} and {ShapeUtil.Format(views[0].Shape)}");
        if (indices.Length != views[0].Shape[0]) throw new ArgumentException($"{indices.Length} indices for a batch of {views[0].Shape[0]}");
    }

    /// <summary>A generator's four 64-bit state words as an int32 tensor of 8 halves, low half first (for
    /// <see cref="ExtraState"/>).</summary>
    protected static IntTensor SaveGenerator(Generator rng)
    {
        var s = rng.State;
        var words = new int[8];
        for (int i = 0; i < 4; i++) { words[2 * i] = (int)(uint)s[i]; words[2 * i + 1] = (int)(uint)(s[i] >> 32); }
        return new IntTensor(words, 8);
    }

    protected static void LoadGenerator(Generator rng, IntTensor state)
    {
        if (state.Numel != 8) throw new InvalidDataException($"generator state has 8 words, got {state.Numel}");
        var s = new ulong[4];
        for (int i = 0; i < 4; i++) s[i] = (uint)state.Data[2 * i] | ((ulong)(uint)state.Data[2 * i + 1] << 32);
        rng.Restore(s);
    }
}
