using SelfSup.Engine.IO;
using System.Text.Json;
using SelfSup.Training;

namespace SelfSup.Cli;

/// <summary>`selfsup export --checkpoint FILE --out FILE [--format safetensors|onnx]`: the encoder alone, for use elsewhere.</summary>
static class ExportCommand
{
    public static int Run(string[] args)
    {
        var a = new ArgReader("export", args, new HashSet<string> { "--checkpoint", "--out", "--format" }, new HashSet<string> { "--json" });
        var checkpoint = a.Required("--checkpoint");
        var output = a.Required("--out");
        var format = a.String("--format") ?? (output.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase) ? "onnx" : "safetensors");
        if (format is not ("safetensors" or "onnx")) throw new UsageException($"export: unknown format '{format}' (safetensors or onnx)");
        AtomicFile.CheckFolder(output);                                          // fail before the checkpoint is read
        var encoder = TrainedEncoder.Load(checkpoint, Console.Error);
        if (format == "onnx") EncoderExport.SaveOnnx(encoder, output);
        else EncoderExport.SaveSafeTensors(encoder, output);
        var architecture = EncoderExport.Architecture(encoder.Spec);
        if (a.Has("--json"))
            Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["out"] = output, ["format"] = format, ["architecture"] = architecture, ["feature_dim"] = encoder.Backbone.FeatureDim,
            }));
        else Console.WriteLine($"wrote {output}: {architecture} encoder ({format}), {encoder.Backbone.FeatureDim}-d features");
        return 0;
    }
}
