namespace SelfSup.Methods.Components;

/// <summary>
/// Batch norm "as if on G devices" in one process. MoCo (He et al. 2020, §3.3, "Shuffling BN") trains on 8 GPUs with
/// per-GPU BN and shuffles the key batch across GPUs so that a query and its positive key are not normalised with the
/// same statistics; the official single-GPU CIFAR demo simulates the devices with SplitBatchNorm. Here the encoder
/// itself is run once per group of N/G samples in train mode, so every BatchNorm layer normalises each group with that
/// group's own statistics, exactly as SplitBatchNorm. Running statistics also follow SplitBatchNorm: each group's update
/// starts from the same running values and the G results are averaged (num_batches_tracked advances by one).
/// <para>With a group of W processes (real devices), the G groups are spread over them as in the official 8-GPU code:
/// each process holds G/W consecutive groups of the global batch, and the running statistics are averaged over the
/// processes too, so every process keeps the values one process simulating G groups would.</para>
/// </summary>
public static class SplitBatchNorm
{
    /// <summary>encoder(x) with batch statistics per consecutive group of N/<paramref name="splits"/> samples.
    /// In eval mode, or with one split, it is a plain forward.</summary>
    /// <param name="encoder">Any module; its BatchNorm layers are found by type.</param>
    /// <param name="x">(N, ...) with N divisible by <paramref name="splits"/>.</param>
    /// <param name="splits">Groups G (devices) over the global batch; with a group of W processes, a multiple of W
    /// (this process runs G/W of them), or 1 (each process's BN, or SyncBN's when its BatchNorm layers have the group).</param>
    /// <param name="group">The processes whose batches make the global batch; null for one.</param>
    public static Tensor Forward(UnaryModule encoder, Tensor x, int splits, IProcessGroup? group = null)
    {
        int world = group?.Size ?? 1;
        if (world > 1 && encoder.Training)
        {
            var y = Forward(encoder, x, LocalSplits(splits, world));            // (N, ...)
            foreach (var bn in encoder.NamedModules().Select(m => m.Module).OfType<BatchNorm>()) { AverageOver(group!, bn.RunningMean); AverageOver(group!, bn.RunningVar); }
            return y;
        }
        if (splits <= 1 || !encoder.Training) return encoder.Forward(x);
        int n = x.Shape[0];
        if (n % splits != 0) throw new ArgumentException($"batch {n} is not divisible into {splits} BN splits");
        int size = n / splits;
        var norms = encoder.NamedModules().Select(m => m.Module).OfType<BatchNorm>().ToArray();
        var start = norms.Select(bn => (Mean: bn.RunningMean.ToArray(), Var: bn.RunningVar.ToArray(), Count: bn.NumBatchesTracked.Data[0])).ToArray();
        var meanSum = norms.Select(bn => new double[bn.NumFeatures]).ToArray();
        var varSum = norms.Select(bn => new double[bn.NumFeatures]).ToArray();
        var outputs = new Tensor[splits];
        for (int g = 0; g < splits; g++)
        {
            for (int l = 0; l < norms.Length; l++)                              // every group starts from the same running stats
            {
                start[l].Mean.CopyTo(norms[l].RunningMean.Span); start[l].Var.CopyTo(norms[l].RunningVar.Span);
            }
            outputs[g] = encoder.Forward(x.Narrow(0, g * size, size));          // (N/G, ...)
            for (int l = 0; l < norms.Length; l++)
            {
                var m = norms[l].RunningMean.Span; var v = norms[l].RunningVar.Span;
                for (int c = 0; c < m.Length; c++) { meanSum[l][c] += m[c]; varSum[l][c] += v[c]; }
            }
        }
        for (int l = 0; l < norms.Length; l++)                                  // the average of the G updates
        {
            var m = norms[l].RunningMean.Span; var v = norms[l].RunningVar.Span;
            for (int c = 0; c < m.Length; c++) { m[c] = (float)(meanSum[l][c] / splits); v[c] = (float)(varSum[l][c] / splits); }
            norms[l].NumBatchesTracked.Data[0] = start[l].Count + 1;
        }
        return Ops.Cat(outputs, 0);                                             // (N, ...)
    }

    /// <summary>
    /// MoCo's shuffling BN for the key encoder: permute the batch with <paramref name="rng"/>, run it in
    /// <paramref name="splits"/> BN groups, and undo the permutation, so row i of the result is sample i's key.
    /// </summary>
    /// <remarks>With a group (the official code's batch shuffle across GPUs): the key inputs of every process are
    /// gathered, permuted, each process encodes its shard of the permuted global batch, and the outputs are gathered and
    /// un-permuted, so row i is still this process's sample i. Every process draws the same permutation from its copy
    /// of <paramref name="rng"/> (seeded alike, restored alike from a checkpoint), which is what the official code's
    /// broadcast from rank 0 achieves. Outside autograd (keys take no gradient).</remarks>
    public static Tensor ShuffledForward(UnaryModule encoder, Tensor x, int splits, Generator rng, IProcessGroup? group = null)
    {
        if (group is { Size: > 1 }) return ShuffledAcross(encoder, x, splits, rng, group);
        int n = x.Shape[0];
        var shuffle = rng.Permutation(n);
        var unshuffle = new int[n];
        for (int i = 0; i < n; i++) unshuffle[shuffle[i]] = i;
        var y = Forward(encoder, Ops.IndexSelect(x, 0, shuffle), splits);     // (N, ...) in shuffled order
        return Ops.IndexSelect(y, 0, unshuffle);                                // (N, ...) back in batch order
    }

    static Tensor ShuffledAcross(UnaryModule encoder, Tensor x, int splits, Generator rng, IProcessGroup group)
    {
        int b = x.Shape[0], first = group.Rank * b, n = b * group.Size;
        var all = Ops.AllGather(x, group);                                      // (W·B, ...) every process's inputs
        var shuffle = rng.Permutation(n);
        var unshuffle = new int[n];
        for (int i = 0; i < n; i++) unshuffle[shuffle[i]] = i;
        var mine = Ops.IndexSelect(all, 0, shuffle[first..(first + b)]);       // (B, ...) our shard of the shuffled batch
        var encoded = Ops.AllGather(Forward(encoder, mine, splits, group), group);   // (W·B, ...) in shuffled order
        return Ops.IndexSelect(encoded, 0, unshuffle[first..(first + b)]);      // (B, ...) our samples, in batch order
    }

    /// <summary>This process's share of G BN groups over W processes.</summary>
    static int LocalSplits(int splits, int world)
    {
        if (splits == 1) return 1;
        if (splits % world != 0)
            throw new ArgumentException($"{splits} BN splits cannot be spread over {world} ranks: use a multiple of {world} (--bn-splits), or 1 for each rank's own BN");
        return splits / world;
    }

    static void AverageOver(IProcessGroup group, Tensor buffer)
    {
        var values = buffer.Span;
        group.AllReduceSum(values);
        System.Numerics.Tensors.TensorPrimitives.Multiply(values, 1f / group.Size, values);
    }
}
