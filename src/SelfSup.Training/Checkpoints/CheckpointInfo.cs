using System.Globalization;
using SelfSup.Engine;
using SelfSup.Engine.IO;

namespace SelfSup.Training;

/// <summary>
/// The checkpoint metadata schema: every key a checkpoint may hold, with the type and range its value must have and
/// its consistency with the other keys and with the tensors. <see cref="Checkpoint.Save"/> and
/// <see cref="Checkpoint.Load"/> both apply it, so a writer cannot produce what the reader refuses, and a value that
/// is out of range (a negative step, a zero image size, a config of another method) is one error naming the file and
/// the key instead of a wrong result or a crash further on. Keys are optional (a test may save only weights), but an
/// unknown key is refused: a new key is added here, with its rule.
/// </summary>
public static class CheckpointInfo
{
    /// <summary>The keys and what their values must be; each rule returns the problem or null.</summary>
    static readonly Dictionary<string, Func<string, string?>> Rules = new()
    {
        ["method"] = v => MethodRecipes.Names.Contains(v.ToLowerInvariant()) ? null : "is not a known method",
        ["epoch"] = v => Integer(v, 0, 10_000_000),
        ["step"] = v => Integer(v, 0, int.MaxValue),
        ["seed"] = v => ulong.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out _) ? null : "is not a non-negative integer",
        ["data"] = v => v.Length is > 0 and <= 4096 && !v.Any(char.IsControl) ? null : "is not a data spec",
        ["config"] = v => v.Length <= 1 << 20 ? null : "is too long for a config",
        ["backbone"] = _ => null,                                   // parsed and checked in full by BackboneSpec, below
        ["rng"] = v => ParseGenerator(v) is null ? "is not 4 comma-separated hexadecimal words" : null,
        ["epoch_loss_sum"] = v => Real(v, allowNaN: false),
        ["epoch_skipped"] = v => Integer(v, 0, int.MaxValue),      // batches of the unfinished epoch skipped (--skip-nonfinite)
        ["loss"] = v => Real(v, allowNaN: true),                   // NaN: no epoch finished yet
        ["ranks"] = v => Integer(v, 1, 1 << 20),                   // the world size that trained it (mpirun -np)
    };

    /// <summary>Checks <paramref name="info"/> against the schema and against <paramref name="model"/> (the "model."
    /// tensors); throws an <see cref="InvalidDataException"/> naming <paramref name="source"/> and the key.</summary>
    public static void Validate(IReadOnlyDictionary<string, string> info, StateDict model, string source)
    {
        foreach (var (key, value) in info)
        {
            if (!Rules.TryGetValue(key, out var rule))
                throw new InvalidDataException($"{source}: unknown checkpoint metadata key {MessageText.Quote(key)}");
            if (rule(value) is { } problem)
                throw new InvalidDataException($"{source}: metadata '{key}' = {MessageText.Quote(value)} {problem}");
        }
        if (Int(info, "epoch") is int epoch && Int(info, "step") is int step && step < epoch)
            throw new InvalidDataException($"{source}: metadata step {step} is below epoch {epoch} (every epoch has at least one step)");
        if (info.TryGetValue("config", out var yaml)) CheckConfig(info, yaml, source);
        if (info.TryGetValue("backbone", out var json))
        {
            var spec = BackboneSpec.Parse(json, source);
            var weights = Checkpoint.Section(model, "backbone.");
            if (weights.Count > 0) spec.CheckWeights(weights, source);
        }
    }

    /// <summary>The run's options: readable, and of the same method, data and seed as the other keys say.</summary>
    static void CheckConfig(IReadOnlyDictionary<string, string> info, string yaml, string source)
    {
        TrainOptions options;
        try { options = ConfigFile.Load(yaml, "config"); }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or FormatException)
        {
            throw new InvalidDataException($"{source}: metadata 'config' is not a readable run configuration: {MessageText.Escape(e.Message, 200)}");
        }
        void Same(string key, string? inConfig)
        {
            if (info.TryGetValue(key, out var value) && inConfig is not null && !string.Equals(value, inConfig, StringComparison.OrdinalIgnoreCase))
                throw new InvalidDataException($"{source}: metadata '{key}' = {MessageText.Quote(value)} disagrees with its config ({MessageText.Quote(inConfig)})");
        }
        Same("method", options.Method);
        Same("data", options.Data);
        Same("seed", options.Seed.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>A generator's 4 state words from their comma-separated hex form (metadata "rng"), or null.</summary>
    public static ulong[]? ParseGenerator(string text)
    {
        var parts = text.Split(',');
        if (parts.Length != 4) return null;
        var words = new ulong[4];
        for (int i = 0; i < 4; i++)
            if (parts[i].Length is 0 or > 16 || !ulong.TryParse(parts[i], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out words[i]))
                return null;
        return words.Any(w => w != 0) ? words : null;                  // xoshiro's all-zero state is never reached
    }

    static int? Int(IReadOnlyDictionary<string, string> info, string key) =>
        info.TryGetValue(key, out var v) && int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out int i) ? i : null;

    static string? Integer(string v, long min, long max) =>
        long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long i) && i >= min && i <= max ? null
            : $"is not an integer in {min}..{max}";

    static string? Real(string v, bool allowNaN) =>
        double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && (double.IsFinite(d) || (allowNaN && double.IsNaN(d))) ? null
            : allowNaN ? "is not a finite number or NaN" : "is not a finite number";
}
