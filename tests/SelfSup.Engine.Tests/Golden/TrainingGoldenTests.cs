using SelfSup.Engine.Nn;
using Xunit;

namespace SelfSup.Engine.Tests;

/// <summary>
/// The small CNN of train_{sgd,adamw}_cnn.safetensors in torch's module names: conv1 → bn1 → relu1 → pool1 → conv2 →
/// relu2 → avgpool → flatten → fc, for (N, 1, 12, 12) images and 10 classes.
/// </summary>
public sealed class GoldenSmallCnn : UnaryModule
{
    readonly UnaryModule[] layers;

    public GoldenSmallCnn(Generator rng)
    {
        layers =
        [
            Child("conv1", new Conv2d(1, 8, 3, rng, padding: 1, bias: false)),     // (N, 8, 12, 12)
            Child("bn1", new BatchNorm2d(8)),
            Child("relu1", new ReLU()),
            Child("pool1", new MaxPool2d(2, 2)),                                     // (N, 8, 6, 6)
            Child("conv2", new Conv2d(8, 16, 3, rng, padding: 1)),                   // (N, 16, 6, 6)
            Child("relu2", new ReLU()),
            Child("avgpool", new AdaptiveAvgPool2d(1, 1)),                           // (N, 16, 1, 1)
            Child("flatten", new Flatten()),                                         // (N, 16)
            Child("fc", new Linear(16, 10, rng)),                                    // (N, 10)
        ];
    }

    public override Tensor Forward(Tensor x)
    {
        foreach (var layer in layers) x = layer.Forward(x);
        return x;
    }
}

/// <summary>
/// Twenty training steps of the small CNN on the stored batches, with torch.optim.SGD and AdamW as the fixtures
/// document (train mode throughout, one group, everything decayed): the loss before each step matches PyTorch's within
/// 1e-3 relative, and the final state dict (weights, running stats, step count) matches loosely.
/// </summary>
public class TrainingGoldenTests
{
    const int Steps = 20;

    public static TheoryData<string> Files => new() { "train_sgd_cnn", "train_adamw_cnn" };

    [Theory, MemberData(nameof(Files))]
    public void Twenty_steps_follow_pytorchs_losses_and_weights(string file)
    {
        var fixture = GoldenFixture.Load(file);
        var model = new GoldenSmallCnn(new Generator(3));
        model.LoadStateDict(fixture.StateWithout(["losses"], ["final.", "data."]), strict: true);
        model.Train();
        var optimizer = GoldenOptimizers.Build(fixture.Json("optimizer"), model.NamedTrainableParameters());

        var images = fixture.Float("data.x");                                          // (20, 8, 1, 12, 12)
        var labels = fixture.Int("data.y");                                            // (20, 8)
        int batch = labels.Shape[1];
        var losses = new float[Steps];
        for (int t = 0; t < Steps; t++)
        {
            optimizer.ZeroGrad();
            var x = Ops.Select(images, 0, t).Contiguous();                             // (8, 1, 12, 12)
            var y = new IntTensor(labels.Data.AsSpan(t * batch, batch).ToArray(), batch);
            var loss = Ops.CrossEntropy(model.Forward(x), y);                          // mean over the batch
            losses[t] = loss.Item();
            loss.Backward();
            optimizer.Step();
        }

        GoldenAssert.Close(fixture.Float("losses"), Tensor.From(losses, Steps), 0f, 1e-3f, $"{file} losses");
        var state = model.StateDict();
        foreach (var key in state.Keys)
        {
            var expected = fixture.State[$"final.{key}"];
            if (expected.Int is { } count) GoldenAssert.Equal(count, state.Int(key), key);
            else GoldenAssert.Close(expected.Float!, state.Float(key), 1e-4f, 1e-3f, $"{file} final {key}");
        }
    }

    [Theory, MemberData(nameof(Files))]
    public void Fixture_weights_move_far_beyond_the_tolerance_so_the_comparison_has_teeth(string file)
    {
        var fixture = GoldenFixture.Load(file);
        foreach (var key in new[] { "conv1.weight", "bn1.weight", "conv2.weight", "fc.weight", "fc.bias" })
        {
            var before = fixture.Float(key).ToArray();
            var after = fixture.Float($"final.{key}").ToArray();
            double moved = before.Zip(after, (b, a) => Math.Abs(a - b)).Max();
            Assert.True(moved > 1e-2, $"{file}: {key} moved at most {moved:G3} in {Steps} steps");
        }
        var sgd = GoldenFixture.Load("train_sgd_cnn").Float("losses").ToArray();
        var adamw = GoldenFixture.Load("train_adamw_cnn").Float("losses").ToArray();
        Assert.Equal(sgd[0], adamw[0]);                                                // same start, same data
        double apart = sgd.Zip(adamw, (s, a) => Math.Abs(s - a) / s).Max();
        Assert.True(apart > 5e-3, $"the two loss curves differ by at most {apart:G3} relative, too close to the 1e-3 bar to tell optimisers apart");
    }
}
