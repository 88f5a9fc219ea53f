namespace SelfSup.Engine;

/// <summary>One entry of a state dict: a float tensor or an integer tensor (e.g. num_batches_tracked).</summary>
public readonly record struct StateEntry(Tensor? Float, IntTensor? Int)
{
    public int[] Shape => Float?.Shape ?? Int!.Shape;
}

/// <summary>
/// Named tensors in insertion order (parameters, buffers, optimiser state), with string metadata:
/// what safetensors files hold and what modules load from. Names follow torchvision's
/// (<c>layer1.0.conv1.weight</c>, <c>bn1.running_mean</c>).
/// </summary>
public sealed class StateDict : IEnumerable<KeyValuePair<string, StateEntry>>
{
    readonly List<string> order = [];
    readonly Dictionary<string, StateEntry> entries = [];

    /// <summary>Free-form string metadata (safetensors' __metadata__).</summary>
    public Dictionary<string, string> Metadata { get; } = [];

    public IReadOnlyList<string> Keys => order;
    public int Count => order.Count;
    public bool Contains(string name) => entries.ContainsKey(name);

    public void Add(string name, Tensor value) => Put(name, new StateEntry(value, null));
    public void Add(string name, IntTensor value) => Put(name, new StateEntry(null, value));

    void Put(string name, StateEntry entry)
    {
        if (!entries.TryAdd(name, entry)) throw new ArgumentException($"state dict already has '{name}'");
        order.Add(name);
    }

    public StateEntry this[string name] =>
        entries.TryGetValue(name, out var e) ? e : throw new KeyNotFoundException($"state dict has no '{name}'");

    /// <summary>The float tensor called <paramref name="name"/>.</summary>
    public Tensor Float(string name) => this[name].Float ?? throw new InvalidDataException($"'{name}' is an integer tensor, expected float");
    /// <summary>The integer tensor called <paramref name="name"/>.</summary>
    public IntTensor Int(string name) => this[name].Int ?? throw new InvalidDataException($"'{name}' is a float tensor, expected integer");

    public IEnumerator<KeyValuePair<string, StateEntry>> GetEnumerator()
    {
        foreach (var k in order) yield return new(k, entries[k]);
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
