namespace SelfSup.Engine.Nn;

/// <summary>
/// A network part with named parameters, buffers and children, registered explicitly in construction order
/// (PyTorch's nn.Module without reflection). Names join with dots, so a ResNet's state dict reads exactly like
/// torchvision's: <c>layer1.0.conv1.weight</c>, <c>bn1.running_mean</c>, <c>bn1.num_batches_tracked</c>.
/// </summary>
public abstract class Module
{
    readonly List<(string Name, Tensor Value)> parameters = [];
    readonly List<(string Name, StateEntry Value)> buffers = [];
    readonly List<(string Name, Module Module)> children = [];
    readonly HashSet<string> names = [];

    /// <summary>True in training mode (the default): batch norm uses batch statistics and updates its running ones.</summary>
    public bool Training { get; private set; } = true;

    /// <summary>Sets training mode on this module and every descendant.</summary>
    public void Train(bool on = true)
    {
        Training = on;
        foreach (var (_, child) in children) child.Train(on);
    }

    /// <summary>Evaluation mode (<c>Train(false)</c>).</summary>
    public void Eval() => Train(false);

    /// <summary>Registers <paramref name="module"/> as the child <paramref name="name"/> and returns it.</summary>
    protected T Child<T>(string name, T module) where T : Module
    {
        Claim(name);
        children.Add((name, module));
        return module;
    }

    /// <summary>Registers a trainable parameter (sets RequiresGrad) and returns it.</summary>
    protected Tensor Parameter(string name, Tensor value)
    {
        Claim(name);
        value.RequiresGrad = true;
        parameters.Add((name, value));
        return value;
    }

    /// <summary>Registers a float buffer: state that is saved and loaded but not trained (running_mean...).</summary>
    protected Tensor Buffer(string name, Tensor value)
    {
        Claim(name);
        buffers.Add((name, new StateEntry(value, null)));
        return value;
    }

    /// <summary>Registers an integer buffer, saved as int64 (num_batches_tracked).</summary>
    protected IntTensor Buffer(string name, IntTensor value)
    {
        Claim(name);
        buffers.Add((name, new StateEntry(null, value)));
        return value;
    }

    void Claim(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.'))
            throw new ArgumentException($"'{name}' is not a valid member name (non-empty, no dots)");
        if (!names.Add(name)) throw new ArgumentException($"{GetType().Name} already has a member called '{name}'");
    }

    /// <summary>All parameters, recursively, in registration order (this module's own first, then each child's),
    /// frozen ones (RequiresGrad false) included.</summary>
    public IEnumerable<(string Name, Tensor Value)> NamedParameters()
    {
        foreach (var (prefix, module) in NamedModules())
            foreach (var (name, value) in module.parameters) yield return (Join(prefix, name), value);
    }

    public IEnumerable<Tensor> Parameters() => NamedParameters().Select(p => p.Value);

    /// <summary>The parameters an optimiser updates: those with RequiresGrad (frozen ones, such as MoCo v3's
    /// random patch projection, are left out).</summary>
    public IEnumerable<(string Name, Tensor Value)> NamedTrainableParameters() => NamedParameters().Where(p => p.Value.RequiresGrad);

    public IEnumerable<Tensor> TrainableParameters() => NamedTrainableParameters().Select(p => p.Value);

    /// <summary>All buffers, recursively, in registration order.</summary>
    public IEnumerable<(string Name, StateEntry Value)> NamedBuffers()
    {
        foreach (var (prefix, module) in NamedModules())
            foreach (var (name, value) in module.buffers) yield return (Join(prefix, name), value);
    }

    /// <summary>Direct children in registration order.</summary>
    public IEnumerable<(string Name, Module Module)> NamedChildren() => children;

    /// <summary>This module (named "") and every descendant, depth first in registration order.</summary>
    public IEnumerable<(string Name, Module Module)> NamedModules()
    {
        var stack = new Stack<(string, Module)>();
        stack.Push(("", this));
        while (stack.Count > 0)
        {
            var (prefix, module) = stack.Pop();
            yield return (prefix, module);
            for (int i = module.children.Count - 1; i >= 0; i--)
                stack.Push((Join(prefix, module.children[i].Name), module.children[i].Module));
        }
    }

    /// <summary>
    /// Parameters and buffers by dotted name, in PyTorch's order (a module's parameters, then its buffers, then its
    /// children's entries). The tensors are the module's own (shared storage, as torch's state_dict); clone to snapshot.
    /// </summary>
    public StateDict StateDict()
    {
        var state = new StateDict();
        foreach (var (prefix, module) in NamedModules())
        {
            foreach (var (name, value) in module.parameters) state.Add(Join(prefix, name), value);
            foreach (var (name, value) in module.buffers)
            {
                if (value.Float is { } f) state.Add(Join(prefix, name), f);
                else state.Add(Join(prefix, name), value.Int!);
            }
        }
        return state;
    }

    /// <summary>
    /// Copies <paramref name="state"/>'s values into this module's tensors in place (references held elsewhere, e.g. by
    /// an optimiser, stay valid). Shape or type mismatches always fail; with <paramref name="strict"/>, missing and
    /// unexpected keys fail too. On failure nothing is copied and the <see cref="InvalidDataException"/> lists every problem.
    /// </summary>
    public void LoadStateDict(StateDict state, bool strict = true)
    {
        var own = StateDict();
        var problems = new List<string>();
        var missing = own.Keys.Where(k => !state.Contains(k)).ToList();
        var unexpected = state.Keys.Where(k => !own.Contains(k)).ToList();
        if (strict && missing.Count > 0) problems.Add("missing keys: " + string.Join(", ", missing));
        if (strict && unexpected.Count > 0) problems.Add("unexpected keys: " + string.Join(", ", unexpected));
        foreach (var (name, target) in own)
        {
            if (!state.Contains(name)) continue;
            var source = state[name];
            if ((target.Float is null) != (source.Float is null))
                problems.Add($"{name}: expected {(target.Float is null ? "an integer" : "a float")} tensor");
            else if (!ShapeUtil.Equal(target.Shape, source.Shape))
                problems.Add($"size mismatch for {name}: checkpoint {ShapeUtil.Format(source.Shape)}, model {ShapeUtil.Format(target.Shape)}");
        }
        if (problems.Count > 0)
            throw new InvalidDataException($"cannot load state dict into {GetType().Name}: " + string.Join("; ", problems));

        foreach (var (name, target) in own)
        {
            if (!state.Contains(name)) continue;
            var source = state[name];
            if (target.Float is { } f) f.CopyFrom(source.Float!);
            else source.Int!.Data.CopyTo(target.Int!.Data, 0);
        }
    }

    /// <summary>Drops every parameter's gradient (torch's zero_grad(set_to_none=True)).</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters()) p.Grad = null;
    }

    static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;
}

/// <summary>A module with one input and one output: layers, blocks, backbones.</summary>
public abstract class UnaryModule : Module
{
    public abstract Tensor Forward(Tensor x);
}
