using Xunit;
using SelfSup.Engine;
using SelfSup.Engine.IO;
using SelfSup.Vision.Transforms;

namespace SelfSup.Vision.Tests;

/// <summary>The cases of tools/transform-fixtures/make_transform_fixtures.py: torchvision's output for fixed inputs and
/// fixed parameters (layouts of the params vector are documented in the script).</summary>
public static class TransformFixtures
{
    static readonly Lazy<StateDict> State = new(() =>
        SafeTensors.Load(Path.Combine(AppContext.BaseDirectory, "Fixtures", "transforms", "transforms.safetensors")));

    public sealed record Case(string Name, string Op, Tensor Input, float[] Params, Tensor Output)
    {
        public override string ToString() => Name;
    }

    public static IEnumerable<string> Names => State.Value.Metadata.Keys.Order();

    public static Case Get(string name)
    {
        var s = State.Value;
        var opAndInput = s.Metadata[name].Split(' ');
        return new Case(name, opAndInput[0], s.Float("input." + opAndInput[1]), s.Float(name + ".params").ToArray(), s.Float(name + ".output"));
    }

    /// <summary>The (C, H, W) tensor as a working image.</summary>
    public static FloatImage ToImage(Tensor t) => new(t.Shape[0], t.Shape[1], t.Shape[2], t.ToArray());

    /// <summary>The 8-bit image a (C, H, W) tensor of k/255 values came from, interleaved as decoders produce it.</summary>
    public static RawImage ToRaw(Tensor t)
    {
        int c = t.Shape[0], h = t.Shape[1], w = t.Shape[2];
        var v = t.ToArray();
        var px = new byte[c * h * w];
        for (int ch = 0; ch < c; ch++)
            for (int i = 0; i < h * w; i++) px[i * c + ch] = (byte)Math.Round(v[ch * h * w + i] * 255);
        return new RawImage(w, h, c, px);
    }

    public static void AssertClose(Tensor expected, ReadOnlySpan<float> actual, int[] actualShape, float tolerance, string what)
    {
        Assert.Equal(expected.Shape, actualShape);
        var e = expected.ToArray();
        Assert.Equal(e.Length, actual.Length);
        int worst = 0;
        for (int i = 1; i < e.Length; i++) if (Math.Abs(e[i] - actual[i]) > Math.Abs(e[worst] - actual[worst])) worst = i;
        float diff = Math.Abs(e[worst] - actual[worst]);
        Assert.True(diff <= tolerance, $"{what}: element {worst} is {actual[worst]}, torchvision {e[worst]} (|Δ| {diff:g3} > {tolerance:g3})");
    }
}
