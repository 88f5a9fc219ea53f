using System.Diagnostics;
using SelfSup.Distributed;
using SelfSup.Engine;
using SelfSup.Engine.Backbones;
using SelfSup.Engine.Optim;

namespace SelfSup.Bench;

/// <summary>
/// Data parallelism's speed (issue 14), run under <c>mpirun -np W … selfsup bench ddp-… --threads T</c> or in one process
/// (W = 1): the training workloads' networks with their global batch split over the ranks, each rank's gradients averaged
/// by <see cref="GradientAverager"/> (25 MB buckets, sent during backward) before the SGD step — the exchange `selfsup
/// train` does every step. The figure is the job's images per second (global batch ÷ median step time, over 5 steps
/// after a warm-up); the details give the fraction of the step spent waiting for the exchange after backward (the part
/// backward did not hide, waiting for the slower rank included) and the gradient bytes per step.
/// ddp-allreduce times the all-reduce alone on ResNet-18's gradient size.
/// </summary>
static class DataParallelWorkloads
{
    public static Workload SmallFmnistTrain() => new("ddp-small-fmnist-train", "img/s",
        "small-fmnist-train (the main job's network) with its batch of 256 split over the mpirun ranks, gradients all-reduced", c =>
            Step(c, new ResNet(new ResNet.Options(Depth: 18, Stem: ResNetStem.Cifar, InChannels: 1, Width: 16, NumClasses: 10), new Generator(0)),
                globalBatch: 256, channels: 1, size: 28, lr: 0.06f));

    public static Workload ResNet18CifarTrain() => new("ddp-resnet18-cifar-train", "img/s",
        "resnet18-cifar-train with its batch of 128 split over the mpirun ranks, gradients all-reduced", c =>
            Step(c, new ResNet(new ResNet.Options(Depth: 18, Stem: ResNetStem.Cifar, NumClasses: 10), new Generator(0)),
                globalBatch: 128, channels: 3, size: 32, lr: 0.01f));

    /// <summary>ResNet-18's (CIFAR stem, 10 classes) parameter count: the floats a step's all-reduce carries.</summary>
    const int ResNet18Floats = 11_173_962;

    public static Workload AllReduce() => new("ddp-allreduce", "GB/s",
        "all-reduce (sum) of ResNet-18's 44.7 MB of gradients between the mpirun ranks: bus bandwidth, 2(W−1)/W × bytes ÷ time", c =>
        {
            if (c.Comm.Size < 2) throw new ArgumentException("ddp-allreduce measures the exchange between ranks: run it under mpirun -np 2 or more");
            var buffer = new float[ResNet18Floats];
            buffer.AsSpan().Fill(c.Comm.Rank + 1);
            var times = new List<double>();
            for (int i = 0; i < 6; i++)
            {
                c.Comm.Barrier();
                long t0 = Stopwatch.GetTimestamp();
                c.Comm.AllReduceSum(buffer);
                if (i > 0) times.Add(Stopwatch.GetElapsedTime(t0).TotalSeconds);
            }
            double seconds = Median(times), bytes = 4.0 * ResNet18Floats, w = c.Comm.Size;
            c.Details["seconds"] = seconds;
            c.Details["algorithm_gb_per_s"] = bytes / seconds / 1e9;
            return 2 * (w - 1) / w * bytes / seconds / 1e9;
        });

    /// <summary>One data-parallel classifier step per iteration: each rank's shard (global batch ÷ ranks, its own random
    /// images) forward and backward, gradients averaged, SGD step.</summary>
    static double Step(BenchContext c, ResNet model, int globalBatch, int channels, int size, float lr)
    {
        var comm = c.Comm;
        if (globalBatch % comm.Size != 0) throw new ArgumentException($"the global batch {globalBatch} does not split over {comm.Size} ranks");
        int batch = globalBatch / comm.Size;
        ParameterBroadcast.FromRoot(comm, model);
        var opt = new Sgd(model.NamedTrainableParameters(), lr: lr, momentum: 0.9f, weightDecay: 5e-4f);
        var averager = new GradientAverager(comm, model.Parameters());
        var rng = new Generator(1 + (ulong)comm.Rank);
        var x = Tensor.Randn(rng, batch, channels, size, size);                // (B/W, C, H, W)
        var y = new IntTensor([.. Enumerable.Range(0, batch).Select(_ => rng.NextInt(10))], batch);
        var (steps, exchanges) = (new List<double>(), 0.0);
        for (int i = 0; i < 6; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            opt.ZeroGrad();
            averager.Backward(Ops.CrossEntropy(model.Forward(x), y));         // logits (B/W, 10); buckets go out meanwhile
            long t1 = Stopwatch.GetTimestamp();
            averager.Average();
            double exchange = Stopwatch.GetElapsedTime(t1).TotalSeconds;
            opt.Step();
            if (i == 0) continue;                                             // warm-up
            steps.Add(Stopwatch.GetElapsedTime(t0).TotalSeconds);
            exchanges += exchange;
        }
        c.Details["ranks"] = comm.Size;
        c.Details["exposed_communication_fraction"] = exchanges / steps.Sum();
        c.Details["gradient_mb"] = 4.0 * model.Parameters().Sum(p => (long)p.Numel) / 1e6;
        c.Details["step_seconds"] = Median(steps);
        return globalBatch / Median(steps);
    }

    static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
