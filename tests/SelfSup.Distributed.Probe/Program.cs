using System.Globalization;
using SelfSup.Distributed;

namespace SelfSup.Distributed.Probe;

/// <summary>
/// Runs one collective on every rank of an <c>mpirun</c> job and prints, per rank, one line the tests parse:
/// <c>rank R of N: CASE v0 v1 …</c> (the values each rank holds afterwards). Each rank's input is a known function of
/// its rank, so the tests know the right answer. <c>dotnet SelfSup.Distributed.Probe.dll CASE</c> with CASE one of
/// allreduce, allreduce-large, allgather, allgather-grad, overlap, broadcast, gradients, broadcast-state, syncbn, barrier, fail-rank-1 (rank 1 aborts; the job must end,
/// not hang), hang-rank-1 (rank 1 sleeps instead of joining a barrier; the other ranks, the last of them a second late,
/// must give up after the timeout, a second argument in seconds, naming rank 1).
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        string test = args.Length > 0 ? args[0] : "allreduce";
        TimeSpan? timeout = args.Length > 1 ? TimeSpan.FromSeconds(double.Parse(args[1], CultureInfo.InvariantCulture)) : null;
        using var comm = new MpiCommunicator(timeout);
        float[] result;
        switch (test)
        {
            case "allreduce":
                result = [comm.Rank + 1f, 10f * (comm.Rank + 1), -comm.Rank];          // sums: N(N+1)/2, 10·that, −N(N−1)/2
                comm.AllReduceSum(result);
                break;
            case "allreduce-large":                                                // 1 MB: sent from a copy, not in place
            {
                var values = Enumerable.Range(0, 1 << 18).Select(i => (float)(i % 1000) * (comm.Rank + 1)).ToArray();
                comm.AllReduceSum(values);
                float ranks = comm.Size * (comm.Size + 1) / 2f;
                result = [values.Where((v, i) => v != (i % 1000) * ranks).Count(), values[999]];   // mismatches, one sum
                break;
            }
            case "allgather":
                result = new float[2 * comm.Size];
                comm.AllGather([comm.Rank, 100f + comm.Rank], result);
                break;
            case "allgather-grad":
                result = AllGatherGradient(comm);
                break;
            case "broadcast":
                result = [comm.Rank == 0 ? 42f : -1f, comm.Rank == 0 ? 7f : -1f];
                comm.Broadcast(result, root: 0);
                var bytes = new byte[] { (byte)(comm.Rank == 0 ? 9 : 0) };
                comm.Broadcast(bytes, root: 0);
                result = [.. result, bytes[0]];
                break;
            case "gradients":
                result = AveragedGradients(comm);
                break;
            case "overlap":
                result = OverlappedGradients(comm);
                break;
            case "broadcast-state":
                result = BroadcastState(comm);
                break;
            case "syncbn":
                result = SyncBatchNormAgainstWholeBatch(comm);
                break;
            case "barrier":
                comm.Barrier();
                result = [];
                break;
            case "fail-rank-1":
                if (comm.Rank == 1)
                {
                    Console.Error.WriteLine("rank 1: failing on purpose");
                    comm.Abort(3);
                }
                comm.Barrier();                                                     // rank 0 waits here
                result = [];
                break;
            case "hang-rank-1":
                if (comm.Rank == 1) Thread.Sleep(TimeSpan.FromMinutes(10));
                if (comm.Rank == comm.Size - 1 && comm.Size > 2) Thread.Sleep(1000);  // the last one waits a second less
                try { comm.Barrier(); }
                catch (MpiTimeoutException e)
                {
                    Console.Error.WriteLine($"rank {comm.Rank}: {e.Message}");
                    comm.Abort(4);
                }
                result = [];
                break;
            default:
                Console.Error.WriteLine($"unknown case '{test}'");
                return 2;
        }
        Console.WriteLine($"rank {comm.Rank} of {comm.Size}: {test} {string.Join(' ', result.Select(v => v.ToString(CultureInfo.InvariantCulture)))}".TrimEnd());
        return 0;
    }

    /// <summary>Ops.AllGather with its backward: rank r holds x_r = (2, 3) rows of 10r + j and computes the loss
    /// (r + 1) · Σ w ⊙ AllGather(x) with w = 1, 2, … over the (2W, 3) output. The gradient reaching x_r is the sum over
    /// the ranks' losses, Σ_r' (r' + 1) · w_r = W(W + 1)/2 · w_r (a backward without the all-reduce gives (r + 1) · w_r).
    /// Prints the gathered output, then x_r's gradient.</summary>
    static float[] AllGatherGradient(ICommunicator comm)
    {
        var x = Engine.Tensor.From([.. Enumerable.Range(0, 6).Select(j => 10f * comm.Rank + j)], 2, 3);   // (2, 3)
        x.RequiresGrad = true;
        var all = Engine.Ops.AllGather(x, comm);                                                   // (2W, 3)
        var w = Engine.Tensor.From([.. Enumerable.Range(1, 6 * comm.Size).Select(i => (float)i)], 2 * comm.Size, 3);
        Engine.Ops.Sum(all * w * (comm.Rank + 1f)).Backward();
        return [.. all.ToArray(), .. x.Grad!.ToArray()];
    }

    /// <summary>Gradient buckets sent during backward: a Linear(4, 8) → ReLU → Linear(8, 3) the same on every rank, rank r's
    /// loss Σ model(x_r)² on its own input, buckets of 10 floats (four). Prints the largest difference between the averaged
    /// gradients and the mean of every rank's gradient computed here, one rank after another; then the buckets that went
    /// out during backward, and the bucket count.</summary>
    static float[] OverlappedGradients(ICommunicator comm)
    {
        var model = new Engine.Nn.Sequential(new Engine.Nn.Linear(4, 8, new Engine.Generator(1)), new Engine.Nn.ReLU(),
            new Engine.Nn.Linear(8, 3, new Engine.Generator(2)));
        Engine.Tensor Loss(int rank) { var y = model.Forward(Engine.Tensor.Randn(new Engine.Generator(10 + (ulong)rank), 5, 4)); return Engine.Ops.Sum(y * y); }
        var parameters = model.Parameters().ToArray();
        var mean = parameters.Select(p => new float[p.Numel]).ToArray();
        for (int r = 0; r < comm.Size; r++)                                      // the reference, in this process
        {
            model.ZeroGrad();
            Loss(r).Backward();
            for (int i = 0; i < parameters.Length; i++)
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(parameters[i].Grad!.ToArray(), 1f / comm.Size, mean[i], mean[i]);
        }
        model.ZeroGrad();
        var averager = new GradientAverager(comm, parameters, bucketFloats: 10);
        averager.Backward(Loss(comm.Rank));
        averager.Average();
        float worst = 0;
        for (int i = 0; i < parameters.Length; i++)
        {
            var averaged = parameters[i].Grad!.ToArray();
            for (int j = 0; j < averaged.Length; j++) worst = Math.Max(worst, Math.Abs(averaged[j] - mean[i][j]));
        }
        return [worst < 1e-5f ? 0 : worst, averager.StartedDuringBackward, averager.BucketCount];
    }

    /// <summary>Four parameters of 5, 3, 7 and 2 floats in buckets of 6 floats: four buckets, one of them a tensor larger
    /// than a bucket; gradient j of parameter i is (rank+1)·(i+1) + j, and parameter 3 has a gradient on rank 0 only (4s).</summary>
    static float[] AveragedGradients(ICommunicator comm)
    {
        int[] sizes = [5, 3, 7, 2];
        var parameters = sizes.Select(n => Engine.Tensor.Zeros(n)).ToArray();
        for (int i = 0; i < 3; i++)
            parameters[i].Grad = Engine.Tensor.From([.. Enumerable.Range(0, sizes[i]).Select(j => (comm.Rank + 1f) * (i + 1) + j)], sizes[i]);
        if (comm.Rank == 0) parameters[3].Grad = Engine.Tensor.Full(4f, 2);
        var averager = new GradientAverager(comm, parameters, bucketFloats: 6);
        averager.Average();
        return [averager.BucketCount, .. parameters.SelectMany(p => p.Grad!.ToArray())];
    }

    /// <summary>A Linear + BatchNorm1d built from a rank-dependent seed, its BN counter set to the rank, then broadcast from
    /// rank 0: prints 1 if this rank's state changed, then the state's values.</summary>
    static float[] BroadcastState(ICommunicator comm)
    {
        var model = new Engine.Nn.Sequential(new Engine.Nn.Linear(3, 2, new Engine.Generator((ulong)comm.Rank + 1)), new Engine.Nn.BatchNorm1d(2));
        var bn = (Engine.Nn.BatchNorm1d)model.NamedChildren().Last().Module;
        bn.RunningMean.Span.Fill(comm.Rank);
        bn.NumBatchesTracked.Data[0] = 10 + comm.Rank;
        float[] State() => [.. model.NamedParameters().SelectMany(p => p.Value.ToArray()), .. bn.RunningMean.ToArray(), bn.NumBatchesTracked.Data[0]];
        var before = State();
        ParameterBroadcast.FromRoot(comm, model);
        var after = State();
        return [before.SequenceEqual(after) ? 0 : 1, .. after];
    }

    /// <summary>SyncBN on this rank's slice of a batch against plain BN on the whole batch in this process: prints the
    /// largest differences of the output slice, the input gradient slice, the weight and bias gradients summed over ranks
    /// (data parallelism averages them; each rank's loss is a sum here, so the sum is the whole batch's), and the
    /// running mean and variance; then the world size.</summary>
    static float[] SyncBatchNormAgainstWholeBatch(ICommunicator comm)
    {
        const int perRank = 3, channels = 4, h = 5, w = 5;
        int total = perRank * comm.Size;
        var rng = new Engine.Generator(11);
        var x = Engine.Tensor.Randn(rng, total, channels, h, w);               // (W·B, C, H, W): the whole batch
        var upstream = Engine.Tensor.Randn(rng, total, channels, h, w);        // the loss Σ y·upstream
        Engine.Ops.ReluInPlace(x);                                              // skewed, nonzero-mean channels

        var whole = new Engine.Nn.BatchNorm2d(channels);
        var xWhole = x.Contiguous().Clone(); xWhole.RequiresGrad = true;
        var yWhole = whole.ForwardRelu(xWhole);
        Engine.Ops.Sum(Engine.Ops.Mul(yWhole, upstream)).Backward();

        var synced = new Engine.Nn.BatchNorm2d(channels) { Group = comm };
        var mine = Engine.Ops.Narrow(x, 0, comm.Rank * perRank, perRank).Contiguous().Clone(); mine.RequiresGrad = true;
        var y = synced.ForwardRelu(mine);
        Engine.Ops.Sum(Engine.Ops.Mul(y, Engine.Ops.Narrow(upstream, 0, comm.Rank * perRank, perRank))).Backward();

        float MaxDiff(float[] a, float[] b) => a.Zip(b, (p, q) => MathF.Abs(p - q)).Max();
        float[] Slice(Engine.Tensor t) => Engine.Ops.Narrow(t, 0, comm.Rank * perRank, perRank).ToArray();
        var gamma = synced.Weight!.Grad!.ToArray(); comm.AllReduceSum(gamma);
        var beta = synced.Bias!.Grad!.ToArray(); comm.AllReduceSum(beta);
        return
        [
            MaxDiff(y.ToArray(), Slice(yWhole)), MaxDiff(mine.Grad!.ToArray(), Slice(xWhole.Grad!)),
            MaxDiff(gamma, whole.Weight!.Grad!.ToArray()), MaxDiff(beta, whole.Bias!.Grad!.ToArray()),
            MaxDiff(synced.RunningMean.ToArray(), whole.RunningMean.ToArray()), MaxDiff(synced.RunningVar.ToArray(), whole.RunningVar.ToArray()),
            comm.Size,
        ];
    }
}
