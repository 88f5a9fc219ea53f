using SelfSup.Engine.IO;
using System.Globalization;
using System.Text.Json;
using SelfSup.Training;
using SelfSup.Vision;

namespace SelfSup.Cli;

/// <summary>`selfsup embed --checkpoint FILE --data SPEC --out FILE.safetensors|FILE.csv [--split train|test] [--normalize]`.</summary>
static class EmbedCommand
{
    public static int Run(string[] args)
    {
        var a = new ArgReader("embed", args, new HashSet<string> { "--checkpoint", "--data", "--split", "--out", "--loader-threads" },
            new HashSet<string> { "--normalize", "--json" });
        var checkpoint = a.Required("--checkpoint");
        var spec = a.Required("--data");
        var output = a.Required("--out");
        var split = a.String("--split") ?? "train";
        if (split is not ("train" or "test")) throw new UsageException($"embed: --split must be train or test, got '{split}'");
        var extension = Path.GetExtension(output).ToLowerInvariant();
        if (extension is not (".safetensors" or ".csv")) throw new UsageException($"embed: --out must end in .safetensors or .csv, got '{output}'");
        AtomicFile.CheckFolder(output);
        int threads = a.Int("--loader-threads", 1) ?? 2;
        bool normalize = a.Has("--normalize");

        var encoder = TrainedEncoder.Load(checkpoint, Console.Error);
        var splits = DataSpec.Parse(spec, BadFilePolicy.Fail);                  // a substituted image would mislabel its row
        var data = split == "train" ? splits.Train : splits.Test ?? throw new ArgumentException($"{spec} has no test split");
        var embeddings = EmbeddingWriter.Compute(encoder, data, normalize, threads);
        var metadata = EncoderExport.Metadata(encoder);
        metadata["format"] = "selfsup-embeddings-1";
        metadata["data"] = spec;
        metadata["split"] = split;
        metadata["normalized"] = normalize ? "true" : "false";
        EmbeddingWriter.Save(output, embeddings, metadata);

        int dim = embeddings.Features.Shape[1];
        if (a.Has("--json"))
            Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object> { ["out"] = output, ["count"] = embeddings.Count, ["dim"] = dim }));
        else Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"wrote {output}: {embeddings.Count} embeddings of {dim} dims ({data.Name})"));
        return 0;
    }
}
