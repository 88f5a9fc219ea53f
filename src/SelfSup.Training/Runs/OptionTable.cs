using System.Globalization;
using System.Reflection;
using System.Text;

namespace SelfSup.Training;

/// <summary>A value for one option and where it came from: <c>Where</c> names the key for error messages
/// ("run.yaml:3: epochs" or "--epochs"). A null value leaves the option at its default (YAML <c>null</c> or <c>~</c>).</summary>
public sealed record OptionSetting(string Key, string? Value, string Where);

/// <summary>
/// The options of `selfsup train` by key, read off <see cref="TrainOptions"/>'s properties: the key is the property's
/// name in kebab case (BatchSize → batch-size), shared by the command line (<c>--batch-size</c>) and config files. Parses
/// each value for its property's type, checks it against the property's <see cref="OptionRuleAttribute"/>s and formats
/// it back, so options need no per-option code here.
/// </summary>
public static class OptionTable
{
    /// <summary>One option: its key, property and whether it changes what training computes.</summary>
    public sealed record Option(string Key, PropertyInfo Property, bool RunControl, bool Saved)
    {
        public Type ValueType => Nullable.GetUnderlyingType(Property.PropertyType) ?? Property.PropertyType;
        /// <summary>Whether null is a valid value (the default of a nullable option).</summary>
        public bool AcceptsNull => System.Nullable.GetUnderlyingType(Property.PropertyType) is not null
                                || (Property.PropertyType == typeof(string) && new NullabilityInfoContext().Create(Property).WriteState == NullabilityState.Nullable);
        public bool IsFlag => ValueType == typeof(bool);
    }

    static readonly Type[] supported = [typeof(string), typeof(int), typeof(long), typeof(ulong), typeof(float), typeof(double), typeof(bool)];

    public static IReadOnlyList<Option> All { get; } = typeof(TrainOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.CanWrite && p.GetSetMethod() is not null)
        .Select(p =>
        {
            var control = p.GetCustomAttribute<RunControlAttribute>();
            var option = new Option(Kebab(p.Name), p, control is not null, control?.Saved ?? true);
            if (!supported.Contains(option.ValueType)) throw new NotSupportedException($"TrainOptions.{p.Name}: options of type {p.PropertyType.Name} are not supported");
            return option;
        })
        .ToArray();

    public static IReadOnlyList<string> Keys { get; } = All.Select(o => o.Key).ToArray();

    public static Option? Find(string key) => All.FirstOrDefault(o => o.Key == key);

    /// <summary>The key <paramref name="typo"/> was probably meant to be (batch_size, BatchSize, epoch → epochs), or null.</summary>
    public static string? Closest(string typo)
    {
        static string Bare(string k) => k.Replace("-", "").Replace("_", "").ToLowerInvariant();
        var bare = Bare(typo);
        return Keys.FirstOrDefault(k => Bare(k) == bare)
            ?? Keys.FirstOrDefault(k => bare.Length >= 4 && (Bare(k).StartsWith(bare, StringComparison.Ordinal) || bare.StartsWith(Bare(k), StringComparison.Ordinal)));
    }

    /// <summary>BatchSize → batch-size.</summary>
    public static string Kebab(string name)
    {
        var s = new StringBuilder();
        for (int i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0) s.Append('-');
            s.Append(char.ToLowerInvariant(name[i]));
        }
        return s.ToString();
    }

    /// <summary>Applies <paramref name="settings"/> in order (a later one for the same key wins) on top of
    /// <paramref name="start"/> (default: <c>new TrainOptions()</c>). Every value is parsed and checked; a problem is an
    /// ArgumentException naming where the value came from.</summary>
    public static TrainOptions Build(IEnumerable<OptionSetting> settings, TrainOptions? start = null)
    {
        var options = (start ?? new TrainOptions()) with { };       // a private copy, filled in before anyone sees it
        foreach (var s in settings)
        {
            var option = Find(s.Key) ?? throw new ArgumentException($"{s.Where}: unknown option (known: {string.Join(", ", Keys)})");
            option.Property.SetValue(options, Parse(option, s));
        }
        return options;
    }

    static object? Parse(Option option, OptionSetting s)
    {
        if (s.Value is null)
            return option.AcceptsNull ? null : throw new ArgumentException($"{s.Where}: needs a value");
        var v = s.Value.Trim();
        var c = CultureInfo.InvariantCulture;
        object? value = option.ValueType switch
        {
            var t when t == typeof(string) => v.Length > 0 ? v : null,
            var t when t == typeof(int) => int.TryParse(v, NumberStyles.Integer, c, out var i) ? i : null,
            var t when t == typeof(long) => long.TryParse(v, NumberStyles.Integer, c, out var l) ? l : null,
            var t when t == typeof(ulong) => ulong.TryParse(v, NumberStyles.Integer, c, out var u) ? u : null,
            var t when t == typeof(float) => float.TryParse(v, NumberStyles.Float, c, out var f) && float.IsFinite(f) ? f : null,
            var t when t == typeof(double) => double.TryParse(v, NumberStyles.Float, c, out var d) && double.IsFinite(d) ? d : null,
            _ => v.ToLowerInvariant() switch { "true" or "yes" or "on" => true, "false" or "no" or "off" => false, _ => null },
        };
        if (value is null) throw new ArgumentException($"{s.Where}: needs {Expected(option.ValueType)}, got '{s.Value}'");
        foreach (var rule in option.Property.GetCustomAttributes<OptionRuleAttribute>())
            if (rule.Problem(value) is { } problem) throw new ArgumentException($"{s.Where}: {problem}");
        return value;
    }

    static string Expected(Type t) =>
        t == typeof(string) ? "a non-empty text" : t == typeof(bool) ? "true or false"
        : t == typeof(float) || t == typeof(double) ? "a number" : t == typeof(ulong) ? "a non-negative integer" : "an integer";

    /// <summary>The value of <paramref name="option"/> in <paramref name="o"/> as its setting text (null for null);
    /// floats in their shortest round-trip form, so parsing it gives the same value.</summary>
    public static string? Format(Option option, TrainOptions o) => option.Property.GetValue(o) switch
    {
        null => null,
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        var v => v.ToString(),
    };

    /// <summary>The options (not <see cref="RunControlAttribute"/> ones) whose values differ between
    /// <paramref name="a"/> and <paramref name="b"/>, as "key: A vs B".</summary>
    public static IReadOnlyList<string> Differences(TrainOptions a, TrainOptions b) =>
        All.Where(o => !o.RunControl && Format(o, a) != Format(o, b))
           .Select(o => $"{o.Key}: {Format(o, a) ?? "null"} vs {Format(o, b) ?? "null"}")
           .ToArray();
}
