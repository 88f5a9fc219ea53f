namespace SelfSup.Methods.Components;

/// <summary>
/// Batch norm "as if on G devices" in one process. MoCo (He et al. 2020, §3.3, "Shuffling BN") trains on 8 GPUs with
/// per-GPU BN and shuffles the key batch across GPUs so that a query and its positive key are not normalised with the
/// same statistics; the official single-GPU CIFAR demo simulates the devices with SplitBatchNorm. Here the encoder
/// itself is run once per group of N/G samples in train mode, so every BatchNorm layer normalises each group with that
/// group's own statistics, exactly as SplitBatchNorm. Running statistics also follow SplitBatchNorm: each group's update
/// starts from the same running values and the G results are averaged (num_batches_tracked advances by one).
/// </summary>
public static class SplitBatchNorm
{
    /// <summary>encoder(x) with batch statistics per consecutive group of N/<paramref name="splits"/> samples.
    /// In eval mode, or with one split, it is a plain forward.</summary>
    /// <param name="encoder">Any module; its BatchNorm layers are found by type.</param>
    /// <param name="x">(N, ...) with N divisible by <paramref name="splits"/>.</param>
    /// <param name="splits">Groups G (simulated devices).</param>
    public static Tensor Forward(UnaryModule encoder, Tensor x, int splits)
    {
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
    public static Tensor ShuffledForward(UnaryModule encoder, Tensor x, int splits, Generator rng)
    {
        int n = x.Shape[0];
        var shuffle = rng.Permutation(n);
        var unshuffle = new int[n];
        for (int i = 0; i < n; i++) unshuffle[shuffle[i]] = i;
        var y = Forward(encoder, Ops.IndexSelect(x, 0, shuffle), splits);     // (N, ...) in shuffled order
        return Ops.IndexSelect(y, 0, unshuffle);                                // (N, ...) back in batch order
    }
}
