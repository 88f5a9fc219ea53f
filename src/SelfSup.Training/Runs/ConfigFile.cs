using SelfSup.Engine.IO;
using System.Text;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SelfSup.Training;

/// <summary>
/// `selfsup train --config FILE.yaml`: a flat YAML mapping of option keys (the flag names without dashes,
/// <c>batch-size: 256</c>) to values, with comments; command-line flags given too override it. Unknown keys, nested
/// values, empty values (<c>epochs:</c>) and bad values are errors naming the file, line and key; <c>null</c> or <c>~</c>
/// asks for the option's default. A run folder keeps its resolved options (every option,
/// the recipe's defaults filled in) as config.yaml, which loads back to the same <see cref="TrainOptions"/>.
/// </summary>
public static class ConfigFile
{
    public const string RunFileName = "config.yaml";

    /// <summary>The settings of the file at <paramref name="path"/>, in file order.</summary>
    public static IReadOnlyList<OptionSetting> Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: config file not found");
        return Parse(File.ReadAllText(path), Path.GetFileName(path));
    }

    /// <summary>The settings of YAML text <paramref name="yaml"/>; <paramref name="source"/> names it in errors.</summary>
    public static IReadOnlyList<OptionSetting> Parse(string yaml, string source)
    {
        var stream = new YamlStream();
        try { stream.Load(new StringReader(yaml)); }
        catch (YamlException e) { throw new InvalidDataException($"{source}:{e.Start.Line}: {FirstLine(e)}"); }
        catch (InvalidOperationException) { throw new InvalidDataException($"{source}: not valid YAML (an unclosed '[' or '{{'?)"); }   // YamlDotNet's scanner on some errors
        if (stream.Documents.Count == 0) return [];
        if (stream.Documents.Count > 1) throw new InvalidDataException($"{source}: holds {stream.Documents.Count} YAML documents, expected one");
        var root = stream.Documents[0].RootNode;
        if (root is YamlScalarNode { Value: null or "" }) return [];
        if (root is not YamlMappingNode mapping)
            throw new InvalidDataException($"{source}:{root.Start.Line}: expected 'key: value' lines (a YAML mapping)");
        var settings = new List<OptionSetting>();
        foreach (var (keyNode, valueNode) in mapping.Children)
        {
            var line = keyNode.Start.Line;
            if (keyNode is not YamlScalarNode { Value: { } key }) throw new InvalidDataException($"{source}:{line}: a key must be a plain name");
            var where = $"{source}:{line}: {key}";
            if (OptionTable.Find(key) is null)
            {
                var hint = OptionTable.Closest(key) is { } close ? $"; did you mean '{close}'?" : "";
                throw new ArgumentException($"{where}: unknown key{hint} (known: {string.Join(", ", OptionTable.Keys)})");
            }
            if (valueNode is not YamlScalarNode scalar) throw new ArgumentException($"{where}: needs a single value, not a list or mapping");
            bool plain = scalar.Style is ScalarStyle.Plain or ScalarStyle.Any;
            if (plain && scalar.Value is null or "")                             // 'epochs:' alone: a value forgotten, not a default asked for
                throw new ArgumentException($"{where}: has no value (write one, 'null' for the default, or remove the line)");
            bool isNull = plain && scalar.Value is "~" or "null" or "Null" or "NULL";
            settings.Add(new OptionSetting(key, isNull ? null : scalar.Value, where));
        }
        return settings;
    }

    static string FirstLine(YamlException e)
    {
        var m = e.InnerException?.Message ?? e.Message;
        int cut = m.IndexOf('\n');
        return cut < 0 ? m : m[..cut];
    }

    /// <summary>Every saved option of <paramref name="o"/> as YAML, one <c>key: value</c> line each, in
    /// <see cref="TrainOptions"/>' order; null values as <c>null</c>.</summary>
    public static string Format(TrainOptions o, string? comment = null)
    {
        var mapping = new YamlMappingNode();
        foreach (var option in OptionTable.All.Where(x => x.Saved))
        {
            var text = OptionTable.Format(option, o);
            var ambiguous = text is "" or "~" || string.Equals(text, "null", StringComparison.OrdinalIgnoreCase);
            mapping.Add(new YamlScalarNode(option.Key), text is null ? new YamlScalarNode("null") { Style = ScalarStyle.Plain }
                : new YamlScalarNode(text) { Style = ambiguous ? ScalarStyle.DoubleQuoted : ScalarStyle.Any });
        }
        var writer = new StringWriter { NewLine = "\n" };
        if (comment is not null)
            foreach (var line in comment.Split('\n')) writer.WriteLine($"# {line}");
        new YamlStream(new YamlDocument(mapping)).Save(writer, assignAnchors: false);
        var yaml = writer.ToString();
        return yaml.EndsWith("...\n", StringComparison.Ordinal) ? yaml[..^4] : yaml;
    }

    /// <summary>Loads YAML text written by <see cref="Format"/> (e.g. a checkpoint's "config") back into options.</summary>
    public static TrainOptions Load(string yaml, string source) => OptionTable.Build(Parse(yaml, source));

    /// <summary>The options a recipe actually trains with: epochs, batch size, lr, width, stem, crops and preset as resolved from the
    /// method's recipe and the data, the run folder filled in, no resume request.</summary>
    public static TrainOptions Resolved(Recipe recipe, string outDir) => recipe.Options with
    {
        Epochs = recipe.Epochs, BatchSize = recipe.BatchSize, Lr = recipe.Lr,
        Width = recipe.MethodOptions.Backbone is Engine.Backbones.ResNet.Options w ? w.Width : recipe.Options.Width,
        Stem = recipe.MethodOptions.Backbone is Engine.Backbones.ResNet.Options r ? (r.Stem == Engine.Backbones.ResNetStem.Cifar ? "cifar" : "imagenet") : recipe.Options.Stem,
        CropMinScale = recipe.CropMinScale,
        Preset = recipe.PresetName,
        Out = outDir, Resume = null,
    };

    /// <summary>Writes <paramref name="o"/> to <paramref name="path"/> atomically (temporary file, then rename).</summary>
    public static void Save(string path, TrainOptions o)
    {
        var text = Format(o, "resolved options of this run (selfsup train --config this-file repeats it)");
        AtomicFile.WriteAllText(path, text);
    }
}
