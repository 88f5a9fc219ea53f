global using SelfSup.Engine;
global using SelfSup.Engine.Backbones;
global using SelfSup.Engine.Nn;
global using SelfSup.Engine.Optim;
global using SelfSup.Methods;
global using SelfSup.Methods.Components;
global using SelfSup.Methods.Losses;
global using Xunit;
using SelfSup.Engine.IO;

namespace SelfSup.Methods.Tests;

static class TestUtil
{
    /// <summary>A ResNet-18 of width 4 with the CIFAR stem on 1-channel images: fast enough for wiring tests.</summary>
    public static ResNet.Options TinyBackbone => new(Depth: 18, Stem: ResNetStem.Cifar, InChannels: 1, Width: 4, NumClasses: 0);

    public static Tensor Images(ulong seed, int n = 4, int size = 8) => Tensor.Randn(new Generator(seed), n, 1, size, size);

    public static StateDict Fixture(string name) => SafeTensors.Load(Path.Combine(AppContext.BaseDirectory, "Fixtures", name));

    public static void Close(Tensor expected, Tensor actual, float atol = 1e-5f, float rtol = 1e-4f)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        var e = expected.ToArray(); var a = actual.ToArray();
        for (int i = 0; i < e.Length; i++)
            Assert.True(MathF.Abs(e[i] - a[i]) <= atol + rtol * MathF.Abs(e[i]), $"element {i}: expected {e[i]}, got {a[i]}");
    }

    public static void Close(float expected, float actual, float atol = 1e-5f, float rtol = 1e-4f) =>
        Assert.True(MathF.Abs(expected - actual) <= atol + rtol * MathF.Abs(expected), $"expected {expected}, got {actual}");

    public static Tensor Leaf(Tensor t) { var c = t.Clone(); c.RequiresGrad = true; return c; }

    /// <summary>One training step the way the trainer runs it.</summary>
    public static float Step(SslMethod method, Optimizer opt, IReadOnlyList<Tensor> views, int[] indices, int step, int total)
    {
        var loss = method.Loss(views, indices);
        opt.ZeroGrad();
        loss.Backward();
        opt.Step();
        method.AfterStep(step, total);
        return loss.Item();
    }
}
