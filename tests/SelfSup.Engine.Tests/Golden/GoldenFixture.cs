using System.Collections.Concurrent;
using System.Text.Json;
using SelfSup.Engine.IO;
using Xunit;

namespace SelfSup.Engine.Tests;

/// <summary>
/// A PyTorch reference file from <c>Fixtures/</c> (written by tools/golden/make_fixtures.py, documented in
/// tools/golden/README.md): its tensors by name and its JSON metadata. Files are read once per test run and shared;
/// tests clone whatever they mutate (<see cref="Input"/>, <see cref="StateWithout"/>).
/// </summary>
public sealed class GoldenFixture
{
    static readonly ConcurrentDictionary<string, Lazy<GoldenFixture>> Cache = new();

    public string Name { get; }
    public StateDict State { get; }

    GoldenFixture(string name)
    {
        Name = name;
        State = SafeTensors.Load(Path.Combine(AppContext.BaseDirectory, "Fixtures", name + ".safetensors"));
    }

    /// <summary>The fixture <c>Fixtures/{name}.safetensors</c> (e.g. "ops_norm"), loaded on first use.</summary>
    public static GoldenFixture Load(string name) => Cache.GetOrAdd(name, n => new Lazy<GoldenFixture>(() => new GoldenFixture(n))).Value;

    public bool Has(string tensor) => State.Contains(tensor);
    public Tensor Float(string tensor) => State.Float(tensor);
    public IntTensor Int(string tensor) => State.Int(tensor);

    /// <summary>A fresh copy of a stored float tensor that requires grad, so tests can backpropagate into it.</summary>
    public Tensor Input(string tensor)
    {
        var x = State.Float(tensor).Clone();
        x.RequiresGrad = true;
        return x;
    }

    /// <summary>The metadata value <paramref name="key"/> parsed as JSON.</summary>
    public JsonElement Json(string key)
    {
        Assert.True(State.Metadata.TryGetValue(key, out var text), $"{Name}: no metadata '{key}'");
        return JsonDocument.Parse(text!).RootElement.Clone();
    }

    /// <summary>The metadata list <paramref name="key"/> (a JSON array of strings).</summary>
    public string[] Names(string key) => [.. Json(key).EnumerateArray().Select(e => e.GetString()!)];

    /// <summary>
    /// A copy of the stored tensors minus those that are not model state: exact names in <paramref name="names"/>
    /// and names starting with one of <paramref name="prefixes"/> (the reference outputs, inputs and gradients).
    /// </summary>
    public StateDict StateWithout(string[] names, string[] prefixes)
    {
        var state = new StateDict();
        foreach (var (key, entry) in State)
        {
            if (names.Contains(key) || prefixes.Any(p => key.StartsWith(p, StringComparison.Ordinal))) continue;
            if (entry.Float is { } f) state.Add(key, f.Clone());
            else state.Add(key, entry.Int!.Clone());
        }
        return state;
    }
}

/// <summary>Comparisons against reference tensors that report the worst element, to make a failing case easy to read.</summary>
public static class GoldenAssert
{
    /// <summary>Every element within atol + rtol·|expected|; on failure names the first bad element and the largest error.</summary>
    public static void Close(Tensor expected, Tensor actual, float atol, float rtol, string what)
    {
        Assert.True(ShapeUtil.Equal(expected.Shape, actual.Shape),
            $"{what}: expected shape {ShapeUtil.Format(expected.Shape)}, got {ShapeUtil.Format(actual.Shape)}");
        var e = expected.ToArray(); var a = actual.ToArray();
        int firstBad = -1, worst = 0; double worstErr = -1;
        for (int i = 0; i < e.Length; i++)
        {
            double err = Math.Abs((double)e[i] - a[i]);
            if (!(err <= atol + rtol * Math.Abs(e[i])) && firstBad < 0) firstBad = i;
            if (err > worstErr || double.IsNaN(err)) { worstErr = err; worst = i; }
        }
        Assert.True(firstBad < 0,
            $"{what}: element {firstBad} expected {(firstBad < 0 ? 0 : e[firstBad]):G8}, got {(firstBad < 0 ? 0 : a[firstBad]):G8}; " +
            $"largest error {worstErr:G3} at element {worst} (expected {e[worst]:G8}, got {a[worst]:G8}); atol {atol:G3}, rtol {rtol:G3}");
    }

    /// <summary>‖actual − expected‖₂ ≤ rtol·‖expected‖₂: agreement "within rtol relative" for a whole output.</summary>
    public static void RelativeNorm(Tensor expected, Tensor actual, double rtol, string what)
    {
        Assert.True(ShapeUtil.Equal(expected.Shape, actual.Shape),
            $"{what}: expected shape {ShapeUtil.Format(expected.Shape)}, got {ShapeUtil.Format(actual.Shape)}");
        var e = expected.ToArray(); var a = actual.ToArray();
        double diff = 0, norm = 0;
        for (int i = 0; i < e.Length; i++) { diff += ((double)a[i] - e[i]) * ((double)a[i] - e[i]); norm += (double)e[i] * e[i]; }
        double rel = Math.Sqrt(diff) / Math.Sqrt(norm);
        Assert.True(rel <= rtol, $"{what}: relative error ‖got − expected‖/‖expected‖ = {rel:G3} > {rtol:G3}");
    }

    /// <summary>Integer tensors equal in shape and every value.</summary>
    public static void Equal(IntTensor expected, IntTensor actual, string what)
    {
        Assert.True(ShapeUtil.Equal(expected.Shape, actual.Shape),
            $"{what}: expected shape {ShapeUtil.Format(expected.Shape)}, got {ShapeUtil.Format(actual.Shape)}");
        Assert.Equal(expected.Data, actual.Data);
    }
}
