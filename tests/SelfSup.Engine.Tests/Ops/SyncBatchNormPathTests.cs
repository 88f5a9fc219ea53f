using SelfSup.Engine;
using Xunit;

namespace SelfSup.Engine.Tests;

/// <summary>Batch norm's synchronised path (SyncBN) against the one-process path, in one process: a group whose sums are
/// the identity makes the synced code compute exactly what the plain code does, with any γ and β.</summary>
public class SyncBatchNormPathTests
{
    sealed class OneOfTwo : IProcessGroup
    {
        public int Size => 2;                                                    // forces the synced path
        public int Rank => 0;
        public void AllReduceSum(Span<double> values) { }                        // …over this process alone
        public void AllReduceSum(Span<float> values) { }
        public void AllGather(ReadOnlySpan<float> mine, Span<float> all) => throw new NotSupportedException();
    }

    [Theory]
    [InlineData(false, 4)]
    [InlineData(true, 4)]
    [InlineData(true, 1)]
    public void The_synced_path_equals_the_plain_path_for_any_weight_and_bias(bool relu, int spatial)
    {
        var rng = new Generator(3);
        int[] shape = spatial == 1 ? [16, 5] : [16, 5, spatial, spatial];
        var x0 = Tensor.Randn(rng, shape);
        var upstream = Tensor.Randn(rng, shape);
        var gamma0 = Tensor.Randn(rng, 5); var beta0 = Tensor.Randn(rng, 5);
        (float[] Y, float[] Dx, float[] Dg, float[] Db) Run(IProcessGroup? group)
        {
            var x = x0.Clone(); x.RequiresGrad = true;
            var g = gamma0.Clone(); g.RequiresGrad = true;
            var b = beta0.Clone(); b.RequiresGrad = true;
            var y = relu ? Ops.BatchNormRelu(x, g, b, null, null, true, group: group) : Ops.BatchNorm(x, g, b, null, null, true, group: group);
            Ops.Sum(Ops.Mul(y, upstream)).Backward();
            return (y.ToArray(), x.Grad!.ToArray(), g.Grad!.ToArray(), b.Grad!.ToArray());
        }
        var plain = Run(null);
        var synced = Run(new OneOfTwo());
        TensorAssert.Close(plain.Y, synced.Y);
        TensorAssert.Close(plain.Dx, synced.Dx);
        TensorAssert.Close(plain.Dg, synced.Dg);
        TensorAssert.Close(plain.Db, synced.Db);
    }
}
