using SelfSup.Engine;
using SelfSup.Engine.Nn;
using Xunit;

namespace SelfSup.Engine.Tests;

public class MlpTests
{
    [Fact]
    public void Default_head_is_linear_bn_relu_then_plain_linear_with_sequential_names()
    {
        var mlp = new Mlp([8, 16, 4], new Generator(1));
        Assert.Equal([typeof(Linear), typeof(BatchNorm1d), typeof(ReLU), typeof(Linear)], mlp.Layers.Select(l => l.GetType()));
        Assert.Equal(["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked",
            "3.weight", "3.bias"], mlp.StateDict().Keys);
        Assert.Equal([5, 4], mlp.Forward(Tensor.Uniform(new Generator(2), -1, 1, 5, 8)).Shape);
    }

    [Fact]
    public void MoCo_v3_head_has_no_biases_and_a_last_bn_without_affine()
    {
        var mlp = new Mlp([8, 16, 16, 4], new Generator(1),
            new Mlp.Options(Bias: false, LastBatchNorm: true, LastBatchNormAffine: false));
        Assert.Equal(["0.weight", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked",
            "3.weight", "4.weight", "4.bias", "4.running_mean", "4.running_var", "4.num_batches_tracked",
            "6.weight", "7.running_mean", "7.running_var", "7.num_batches_tracked"], mlp.StateDict().Keys);
        var y = mlp.Forward(Tensor.Uniform(new Generator(2), -1, 1, 6, 8));
        Assert.Equal([6, 4], y.Shape);
        for (int j = 0; j < 4; j++)                                            // last BN: each output column standardised
            Assert.Equal(0f, Enumerable.Range(0, 6).Sum(i => y[i, j]), 3);
    }

    [Fact]
    public void Head_without_bn_is_linear_relu_linear()
    {
        var mlp = new Mlp([8, 32, 2], new Generator(1), new Mlp.Options(BatchNorm: false, LastBias: false));
        Assert.Equal([typeof(Linear), typeof(ReLU), typeof(Linear)], mlp.Layers.Select(l => l.GetType()));
        Assert.Equal(["0.weight", "0.bias", "2.weight"], mlp.StateDict().Keys);
        Assert.Equal(8 * 32 + 32 + 32 * 2, mlp.Parameters().Sum(p => p.Numel));
    }
}
