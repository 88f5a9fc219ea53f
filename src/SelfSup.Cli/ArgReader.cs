using System.Globalization;

namespace SelfSup.Cli;

/// <summary>
/// Reads `--name value` and `--flag` options of one command; every option must be known to the command,
/// so a typo is an error naming the option, not a silent default, and may be given once.
/// </summary>
sealed class ArgReader
{
    readonly Dictionary<string, string?> values = [];
    readonly string command;

    public ArgReader(string command, string[] args, IReadOnlySet<string> valued, IReadOnlySet<string> flags)
    {
        this.command = command;
        for (int i = 0; i < args.Length; i++)
        {
            var a = args[i];
            if (!flags.Contains(a) && !valued.Contains(a)) throw new UsageException($"{command}: unknown option '{a}'");
            string? value = null;
            if (valued.Contains(a))
            {
                if (i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal)) throw new UsageException($"{command}: {a} needs a value");
                value = args[++i];
            }
            if (!values.TryAdd(a, value))                                       // last-wins would hide a mistake
                throw new UsageException($"{command}: {a} is given twice" + (value is null ? "" : $" ('{values[a]}' and '{value}')"));
        }
    }

    public bool Has(string name) => values.ContainsKey(name);
    public string? String(string name) => values.GetValueOrDefault(name);
    public string Required(string name) => String(name) ?? throw new UsageException($"{command}: {name} is required");

    public int? Int(string name, int min = int.MinValue) => String(name) is { } s
        ? int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v >= min ? v
            : throw new UsageException($"{command}: {name} needs an integer ≥ {min}, got '{s}'")
        : null;

    public float? Float(string name) => String(name) is { } s
        ? float.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && float.IsFinite(v) ? v
            : throw new UsageException($"{command}: {name} needs a number, got '{s}'")
        : null;
}
