using SelfSup.Engine;
using SelfSup.Engine.Nn;
using Xunit;

namespace SelfSup.Engine.Tests;

public class BatchNormTests
{
    // Channel 0 holds 1..4 over (N=2, H·W=2), channel 1 holds 10, 10, 10, 14.
    static Tensor Input() => Tensor.From([1, 2, 10, 10, 3, 4, 10, 14], 2, 2, 1, 2);

    [Fact]
    public void Training_forward_normalises_by_batch_statistics_and_updates_running_ones()
    {
        var bn = new BatchNorm2d(2);
        var y = bn.Forward(Input());
        // channel 0: mean 2.5, biased var 1.25 → (1 − 2.5)/√1.25 = −1.3416
        Assert.Equal(-1.5f / MathF.Sqrt(1.25f + 1e-5f), y[0, 0, 0, 0], 4);
        // running = 0.9·init + 0.1·batch, with the unbiased variance (torch): 1.25·4/3 and 3·4/3
        Assert.Equal([0.25f, 1.1f], bn.RunningMean.ToArray().Select(v => MathF.Round(v, 5)));
        Assert.Equal(0.9f + 0.1f * 1.25f * 4 / 3, bn.RunningVar[0], 5);
        Assert.Equal(0.9f + 0.1f * 3f * 4 / 3, bn.RunningVar[1], 5);
        Assert.Equal(1, bn.NumBatchesTracked.Data[0]);
        bn.Forward(Input());
        Assert.Equal(2, bn.NumBatchesTracked.Data[0]);
        Assert.Equal(0.9f * 0.25f + 0.25f, bn.RunningMean[0], 5);
    }

    [Fact]
    public void Eval_forward_uses_running_statistics_and_changes_nothing()
    {
        var bn = new BatchNorm2d(2);
        bn.RunningMean.CopyFrom(Tensor.From([1f, 10f], 2));
        bn.RunningVar.CopyFrom(Tensor.From([4f, 16f], 2));
        bn.Weight!.CopyFrom(Tensor.From([2f, 1f], 2));
        bn.Bias!.CopyFrom(Tensor.From([0f, 1f], 2));
        bn.Eval();
        var y = bn.Forward(Input());
        Assert.Equal(2f * (4 - 1) / MathF.Sqrt(4 + 1e-5f), y[1, 0, 0, 1], 4);
        Assert.Equal(1f * (14 - 10) / MathF.Sqrt(16 + 1e-5f) + 1f, y[1, 1, 0, 1], 4);
        Assert.Equal([1f, 10f], bn.RunningMean.ToArray());
        Assert.Equal(0, bn.NumBatchesTracked.Data[0]);
    }

    [Fact]
    public void Non_affine_batch_norm_has_only_buffers()
    {
        var bn = new BatchNorm1d(3, affine: false);
        Assert.Empty(bn.NamedParameters());
        Assert.Equal(["running_mean", "running_var", "num_batches_tracked"], bn.StateDict().Keys);
        Assert.Empty(bn.StateDict().Int("num_batches_tracked").Shape);                 // a 0-d int64 in torch
        var y = bn.Forward(Tensor.From([1, 5, 0, 3, 7, 2], 2, 3));
        Assert.Equal([-1, -1, -1, 1, 1, 1], y.ToArray().Select(v => MathF.Round(v, 3)));
    }

    [Fact]
    public void Batch_norm_rejects_inputs_of_the_wrong_rank_or_width()
    {
        Assert.Throws<ArgumentException>(() => new BatchNorm2d(2).Forward(Tensor.Zeros(4, 2)));
        Assert.Throws<ArgumentException>(() => new BatchNorm1d(3).Forward(Tensor.Zeros(4, 2)));
    }
}
