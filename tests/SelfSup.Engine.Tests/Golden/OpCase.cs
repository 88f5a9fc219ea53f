using System.Text.Json;

namespace SelfSup.Engine.Tests;

/// <summary>
/// One case of an <c>ops_*</c> fixture as the engine sees it: the float inputs <c>{case}.in{i}</c> (fresh copies that
/// require grad), the integer input <c>{case}.idx</c>, the scalar arguments from <c>{case}.args</c>, and copies of any
/// op state (batch norm's running stats) that the op may change and the test compares afterwards.
/// </summary>
public sealed class OpCase
{
    readonly GoldenFixture fixture;
    readonly JsonElement args;

    public string Name { get; }
    public Tensor[] Inputs { get; }
    /// <summary>Op state handed to the op by name ("running_mean"), as the op left it.</summary>
    public Dictionary<string, Tensor> State { get; } = [];
    /// <summary>Indices the op returned besides its output (max), compared with <c>{case}.out_idx</c>.</summary>
    public IntTensor? OutIdx { get; private set; }

    public OpCase(GoldenFixture fixture, string name)
    {
        this.fixture = fixture;
        Name = name;
        var inputs = new List<Tensor>();
        for (int i = 0; fixture.Has($"{name}.in{i}"); i++) inputs.Add(fixture.Input($"{name}.in{i}"));
        Inputs = [.. inputs];
        args = fixture.Json($"{name}.args");
    }

    public Tensor In(int i) => Inputs[i];
    public IntTensor Idx => fixture.Int($"{Name}.idx");

    public int Int(string arg) => args.GetProperty(arg).GetInt32();
    public float Float(string arg) => args.GetProperty(arg).GetSingle();
    public bool Bool(string arg) => args.GetProperty(arg).GetBoolean();
    public int[] Ints(string arg) => [.. args.GetProperty(arg).EnumerateArray().Select(e => e.GetInt32())];

    /// <summary>A copy of the stored state tensor <c>{case}.{name}</c> for the op to use (and possibly update).</summary>
    public Tensor Stat(string name) => State[name] = fixture.Float($"{Name}.{name}").Clone();

    /// <summary>Keeps the indices of a (values, indices) result for comparison and returns the values.</summary>
    public Tensor WithIndices((Tensor Values, IntTensor Indices) result)
    {
        OutIdx = result.Indices;
        return result.Values;
    }
}
