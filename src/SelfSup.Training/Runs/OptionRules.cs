using System.Globalization;

namespace SelfSup.Training;

/// <summary>
/// A condition a <see cref="TrainOptions"/> value must meet, written on the property so that a new option brings its
/// own check: <see cref="OptionTable"/> applies it to every value from a config file or the command line.
/// A null value (the option left to its default) always passes.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public abstract class OptionRuleAttribute : Attribute
{
    /// <summary>What is wrong with <paramref name="value"/> ("must be at least 1, not 0"), or null when it is fine.</summary>
    public abstract string? Problem(object value);

    protected static string Show(object value) => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";
}

/// <summary>A number of at least <paramref name="min"/>.</summary>
public sealed class AtLeastAttribute(double min) : OptionRuleAttribute
{
    public override string? Problem(object value) =>
        Convert.ToDouble(value, CultureInfo.InvariantCulture) >= min ? null : $"must be at least {min.ToString(CultureInfo.InvariantCulture)}, not {Show(value)}";
}

/// <summary>A number no greater than a maximum.</summary>
public sealed class AtMostAttribute(double max) : OptionRuleAttribute
{
    public override string? Problem(object value) =>
        Convert.ToDouble(value, CultureInfo.InvariantCulture) <= max ? null : $"must be at most {max.ToString(CultureInfo.InvariantCulture)}, not {Show(value)}";
}

/// <summary>A number greater than zero.</summary>
public sealed class PositiveAttribute : OptionRuleAttribute
{
    public override string? Problem(object value) =>
        Convert.ToDouble(value, CultureInfo.InvariantCulture) > 0 ? null : $"must be positive, not {Show(value)}";
}

/// <summary>One of a fixed set of names.</summary>
public sealed class OneOfAttribute(params string[] names) : OptionRuleAttribute
{
    public IReadOnlyList<string> Names => names;
    public override string? Problem(object value) =>
        names.Contains((string)value) ? null : $"must be {string.Join(", ", names[..^1])} or {names[^1]}, not '{value}'";
}

/// <summary>The name of a registered method (<see cref="MethodRecipes.Names"/>).</summary>
public sealed class KnownMethodAttribute : OptionRuleAttribute
{
    public override string? Problem(object value) =>
        MethodRecipes.Names.Contains(((string)value).ToLowerInvariant()) ? null
            : $"unknown method '{value}' (known: {string.Join(", ", MethodRecipes.Names)})";
}

/// <summary>
/// An option that steers the run without changing what it computes (where files go, how often to evaluate or save,
/// loader threads): a run may resume from a checkpoint made with another value. Every other option must match.
/// <see cref="Saved"/> false keeps it out of the run's config.yaml (it concerns one invocation only, like --resume).
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class RunControlAttribute : Attribute
{
    public bool Saved { get; init; } = true;
}
