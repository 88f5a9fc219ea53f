using SelfSup.Engine;
using SelfSup.Engine.Backbones;
using SelfSup.Engine.Nn;
using SelfSup.Methods;
using Xunit;

namespace SelfSup.Training.Tests;

/// <summary>The encoder of `eval --probe-from-head-layer K`: backbone + the first K head layers rebuilt from a checkpoint.</summary>
public class HeadLayerEncoderTests
{
    static readonly ResNet.Options Tiny = new(Depth: 18, Stem: ResNetStem.Cifar, InChannels: 1, Width: 4, NumClasses: 0);

    /// <summary>A SimCLR model after one training-mode step, so the head's BN running statistics are not 0/1.</summary>
    static SimClr TrainedSimClr(int headLayers)
    {
        var model = new SimClr(new SimClrOptions { Backbone = Tiny, HeadLayers = headLayers, Dim = 8 }, new Generator(4));
        var rng = new Generator(5);
        using (Grad.Disabled()) model.Loss([Tensor.Randn(rng, 6, 1, 8, 8), Tensor.Randn(rng, 6, 1, 8, 8)], [0, 1, 2, 3, 4, 5]);
        return model;
    }

    static HeadLayerEncoder FromState(StateDict state, int layers)
    {
        var backbone = new ResNet(Tiny, new Generator(99));                    // other weights until loaded
        backbone.LoadStateDict(Checkpoint.Section(state, "backbone."), strict: true);
        return HeadLayerEncoder.FromCheckpoint(backbone, Checkpoint.Section(state, "head."), layers, "test.safetensors");
    }

    [Theory]
    [InlineData(3, 1, 3)]                                                       // Linear BN ReLU
    [InlineData(3, 2, 6)]                                                       // + Linear BN ReLU
    [InlineData(3, 3, 8)]                                                       // + Linear BN: the whole head
    [InlineData(2, 1, 3)]
    [InlineData(2, 2, 4)]
    public void Layer_k_output_equals_running_the_models_own_head_layers_by_hand(int headLayers, int k, int children)
    {
        var model = TrainedSimClr(headLayers);
        var encoder = FromState(model.StateDict(), k);
        var x = Tensor.Randn(new Generator(6), 5, 1, 8, 8);                     // (5, 1, 8, 8)

        model.Eval();
        Tensor expected;
        using (Grad.Disabled())
        {
            expected = model.Backbone.Forward(x);                               // (5, 32)
            for (int i = 0; i < children; i++) expected = model.Head[i].Forward(expected);
        }
        Tensor actual;
        using (Grad.Disabled()) actual = encoder.Forward(x);                    // (5, D_K)

        Assert.False(encoder.Training);
        Assert.Equal(expected.Shape, actual.Shape);
        Assert.Equal(expected.Shape[1], encoder.FeatureDim);
        var e = expected.ToArray(); var a = actual.ToArray();
        for (int i = 0; i < e.Length; i++) Assert.Equal(e[i], a[i], 5);
        bool endsWithRelu = k < headLayers;
        Assert.Equal(endsWithRelu, a.All(v => v >= 0));                         // a middle layer's output went through ReLU
    }

    [Fact]
    public void A_head_without_bn_reads_the_relu_gaps_in_its_indices()
    {
        var mlp = new Mlp([32, 32, 8], new Generator(7), new Mlp.Options(BatchNorm: false));   // MoCo v2: 0 Linear, 1 ReLU, 2 Linear
        var state = new StateDict();
        foreach (var (key, entry) in mlp.StateDict()) state.Add(key, entry.Float!);
        var backbone = new Sequential(new Flatten());
        var encoder = HeadLayerEncoder.FromCheckpoint(backbone, state, 1, "test");
        var x = Tensor.Randn(new Generator(8), 4, 32);
        Tensor expected, actual;
        using (Grad.Disabled()) { expected = mlp[1].Forward(mlp[0].Forward(x)); actual = encoder.Forward(x); }
        Assert.Equal(expected.ToArray(), actual.ToArray());
    }

    [Fact]
    public void Asking_for_more_layers_than_the_head_has_names_both_counts()
    {
        var e = Assert.Throws<ArgumentException>(() => FromState(TrainedSimClr(2).StateDict(), 3));
        Assert.Contains("has 2 layers", e.Message);
        Assert.Contains("head layer 3", e.Message);
    }

    [Fact]
    public void A_checkpoint_without_a_head_is_refused()
    {
        var state = new StateDict();
        foreach (var (key, entry) in TrainedSimClr(2).StateDict())
        {
            if (!key.StartsWith("head.", StringComparison.Ordinal)) { if (entry.Float is { } f) state.Add(key, f); else state.Add(key, entry.Int!); }
        }
        var e = Assert.Throws<InvalidDataException>(() => FromState(state, 1));
        Assert.Contains("no projection head", e.Message);
    }
}
