using System.Globalization;

namespace SelfSup.Engine.Optim;

/// <summary>
/// Base of the optimisers: parameter groups, the step loop over parameters that have a gradient
/// (parameters whose <see cref="Tensor.Grad"/> is null are skipped, as in torch), set_to_none
/// <see cref="ZeroGrad"/>, and checkpointable per-parameter state. Updates work on spans outside autograd;
/// after the first step (which allocates the state buffers) a step allocates nothing.
/// </summary>
public abstract class Optimizer
{
    readonly List<ParamGroup> groups;
    readonly float[]?[][] buffers;         // [buffer kind][flat parameter index]; null until first gradient
    readonly int[] steps;                  // updates applied to each parameter
    float[] scratch = [];
    float baseLr;

    protected Optimizer(IEnumerable<ParamGroup> groups)
    {
        this.groups = [.. groups];
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var g in this.groups)
        {
            foreach (var (name, p) in g.Parameters)
            {
                if (!seen.Add(p)) throw new ArgumentException($"parameter '{name}' appears more than once in the optimiser's groups");
                ParameterCount++;
            }
        }
        if (ParameterCount == 0) throw new ArgumentException("the optimiser got an empty parameter list");
        buffers = new float[]?[BufferNames.Count][];
        for (int k = 0; k < buffers.Length; k++) buffers[k] = new float[ParameterCount][];
        steps = new int[ParameterCount];
        var first = this.groups[0];
        baseLr = first.LrScale != 0 ? first.Lr / first.LrScale : first.Lr;
    }

    public IReadOnlyList<ParamGroup> Groups => groups;
    /// <summary>Parameters over all groups; state-dict index i is the i-th in group order.</summary>
    public int ParameterCount { get; }

    /// <summary>Base learning rate: setting it sets every group's lr to value × its <see cref="ParamGroup.LrScale"/> (schedules drive this).</summary>
    public float Lr
    {
        get => baseLr;
        set
        {
            baseLr = value;
            foreach (var g in groups) g.Lr = value * g.LrScale;
        }
    }

    /// <summary>Names of the per-parameter buffers (state-dict keys <c>state.{i}.{name}</c>).</summary>
    protected abstract IReadOnlyList<string> BufferNames { get; }
    /// <summary>Group hyperparameters this optimiser reads beyond lr, lr_scale and weight_decay.</summary>
    protected abstract IReadOnlyList<GroupField> Hyperparameters { get; }

    /// <summary>Updates one parameter in place. <paramref name="step"/> counts this parameter's updates from 1.</summary>
    protected abstract void Update(ParamGroup group, int index, int step, Span<float> param, ReadOnlySpan<float> grad);

    /// <summary>Applies one update to every parameter that has a gradient.</summary>
    public void Step()
    {
        int index = 0;
        foreach (var group in groups)
        {
            var parameters = group.Parameters;
            for (int j = 0; j < parameters.Count; j++, index++)
            {
                var (name, p) = parameters[j];
                if (p.Grad is not { } grad) continue;
                if (!ShapeUtil.Equal(grad.Shape, p.Shape))
                    throw new InvalidOperationException($"parameter '{name}' has shape {ShapeUtil.Format(p.Shape)} but its gradient {ShapeUtil.Format(grad.Shape)}");
                if (!grad.IsContiguous) grad = grad.Detach().Contiguous();
                Update(group, index, ++steps[index], p.Span, grad.Span);
            }
        }
    }

    /// <summary>Drops every gradient (torch's zero_grad(set_to_none=True)).</summary>
    public void ZeroGrad()
    {
        foreach (var group in groups)
        {
            var parameters = group.Parameters;
            for (int j = 0; j < parameters.Count; j++) parameters[j].Param.Grad = null;
        }
    }

    /// <summary>Buffer <paramref name="kind"/> of parameter <paramref name="index"/>, or null before its first update.</summary>
    protected float[]? Buffer(int kind, int index) => buffers[kind][index];

    /// <summary>Creates buffer <paramref name="kind"/> of parameter <paramref name="index"/> as a copy of <paramref name="initial"/>.</summary>
    protected float[] CreateBuffer(int kind, int index, ReadOnlySpan<float> initial) => buffers[kind][index] = initial.ToArray();

    /// <summary>Creates buffer <paramref name="kind"/> of parameter <paramref name="index"/> filled with zeros.</summary>
    protected float[] CreateBuffer(int kind, int index, int length) => buffers[kind][index] = new float[length];

    /// <summary>A reusable work area of at least <paramref name="length"/> floats (grows once, never shrinks).</summary>
    protected Span<float> Scratch(int length)
    {
        if (scratch.Length < length) scratch = new float[length];
        return scratch.AsSpan(0, length);
    }

    static readonly GroupField[] CommonFields = [GroupField.Lr, GroupField.LrScale, GroupField.WeightDecay];

    IEnumerable<GroupField> Fields => CommonFields.Concat(Hyperparameters);

    /// <summary>
    /// The optimiser's state for a checkpoint: <c>lr</c> (base lr), <c>group.{g}.num_params</c> and
    /// <c>group.{g}.{hyperparameter}</c> as 0-d tensors, and per parameter <c>state.{i}.step</c> and
    /// <c>state.{i}.{buffer}</c> (copies) for parameters updated at least once.
    /// </summary>
    public StateDict StateDict()
    {
        var state = new StateDict();
        state.Metadata["optimizer"] = GetType().Name;
        state.Add("lr", Tensor.Scalar(baseLr));
        for (int g = 0; g < groups.Count; g++)
        {
            state.Add($"group.{g}.num_params", new IntTensor([groups[g].Count]));
            foreach (var field in Fields) state.Add($"group.{g}.{field.Key}", Tensor.Scalar(field.Get(groups[g])));
        }
        int index = 0;
        foreach (var (_, p) in AllParameters())
        {
            if (steps[index] > 0) state.Add($"state.{index}.step", new IntTensor([steps[index]]));
            for (int k = 0; k < buffers.Length; k++)
            {
                if (buffers[k][index] is { } b) state.Add($"state.{index}.{BufferNames[k]}", Tensor.From((float[])b.Clone(), p.Shape));
            }
            index++;
        }
        return state;
    }

    /// <summary>
    /// Restores a <see cref="StateDict()"/> taken from an optimiser of the same type over parameters of the
    /// same shapes in the same groups. Everything is checked before anything changes; a mismatch gives an
    /// <see cref="InvalidDataException"/> naming the key.
    /// </summary>
    public void LoadStateDict(StateDict state)
    {
        if (state.Metadata.TryGetValue("optimizer", out var type) && type != GetType().Name)
            throw new InvalidDataException($"optimiser state is for {type}, not {GetType().Name}");
        var known = new HashSet<string> { "lr" };
        float lr = ReadScalar(state, "lr");

        var fields = Fields.ToArray();
        var values = new float[groups.Count, fields.Length];
        for (int g = 0; g < groups.Count; g++)
        {
            string key = $"group.{g}.num_params";
            int count = ReadInt(state, key);
            if (count != groups[g].Count)
                throw new InvalidDataException($"optimiser state '{key}' is {count}, but group {g} has {groups[g].Count} parameters");
            known.Add(key);
            for (int f = 0; f < fields.Length; f++)
            {
                key = $"group.{g}.{fields[f].Key}";
                values[g, f] = ReadScalar(state, key);
                known.Add(key);
            }
        }

        var newSteps = new int[ParameterCount];
        var newBuffers = new float[]?[buffers.Length][];
        for (int k = 0; k < buffers.Length; k++) newBuffers[k] = new float[ParameterCount][];
        int index = 0;
        foreach (var (name, p) in AllParameters())
        {
            string key = $"state.{index}.step";
            if (state.Contains(key))
            {
                newSteps[index] = ReadInt(state, key);
                if (newSteps[index] < 0) throw new InvalidDataException($"optimiser state '{key}' is negative");
                known.Add(key);
            }
            for (int k = 0; k < buffers.Length; k++)
            {
                key = $"state.{index}.{BufferNames[k]}";
                if (!state.Contains(key)) continue;
                var t = state[key].Float ?? throw new InvalidDataException($"optimiser state '{key}' is an integer tensor, expected float");
                if (!ShapeUtil.Equal(t.Shape, p.Shape))
                    throw new InvalidDataException($"optimiser state '{key}' has shape {ShapeUtil.Format(t.Shape)}, but parameter '{name}' has {ShapeUtil.Format(p.Shape)}");
                newBuffers[k][index] = t.ToArray();
                known.Add(key);
            }
            index++;
        }
        foreach (var key in state.Keys)
        {
            if (!known.Contains(key)) throw new InvalidDataException($"optimiser state has unexpected key '{key}' (different optimiser or parameter list?)");
        }

        baseLr = lr;
        for (int g = 0; g < groups.Count; g++)
            for (int f = 0; f < fields.Length; f++) fields[f].Set(groups[g], values[g, f]);
        newSteps.CopyTo(steps, 0);
        for (int k = 0; k < buffers.Length; k++) newBuffers[k].CopyTo(buffers[k], 0);
    }

    IEnumerable<(string Name, Tensor Param)> AllParameters() => groups.SelectMany(g => g.Parameters);

    static float ReadScalar(StateDict state, string key)
    {
        if (!state.Contains(key)) throw new InvalidDataException($"optimiser state has no '{key}'");
        var t = state[key].Float;
        if (t is null || t.Numel != 1) throw new InvalidDataException($"optimiser state '{key}' must be a one-element float tensor");
        return t.Item();
    }

    static int ReadInt(StateDict state, string key)
    {
        if (!state.Contains(key)) throw new InvalidDataException($"optimiser state has no '{key}'");
        var t = state[key].Int;
        if (t is null || t.Numel != 1) throw new InvalidDataException($"optimiser state '{key}' must be a one-element integer tensor");
        return t.Data[0];
    }

    /// <summary>
    /// Groups for the constructors that take named parameters: one group, or with
    /// <paramref name="excludeBiasAndNorm"/> a second group holding the rank-1 parameters
    /// (<see cref="ParamGroup.IsBiasOrNorm"/>). Empty groups are dropped.
    /// </summary>
    protected static List<ParamGroup> BuildGroups(IEnumerable<(string Name, Tensor Param)> parameters, bool excludeBiasAndNorm,
        float lr, Action<ParamGroup, bool> configure)
    {
        var named = parameters.ToList();
        List<(List<(string Name, Tensor Param)> Members, bool Excluded)> parts;
        if (excludeBiasAndNorm)
        {
            var (decayed, excluded) = ParamGroup.SplitBiasAndNorm(named);
            parts = [(decayed, false), (excluded, true)];
        }
        else parts = [(named, false)];
        var result = new List<ParamGroup>();
        foreach (var (members, excluded) in parts)
        {
            if (members.Count == 0) continue;
            var group = new ParamGroup(members) { Lr = lr };
            configure(group, excluded);
            result.Add(group);
        }
        return result;
    }

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{GetType().Name}(lr {baseLr:G4}, {groups.Count} groups, {ParameterCount} parameters)");
}
