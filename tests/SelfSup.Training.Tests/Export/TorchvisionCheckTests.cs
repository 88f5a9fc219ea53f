using System.Diagnostics;
using SelfSup.Engine.Backbones;
using SelfSup.Vision;
using Xunit;
using Xunit.Abstractions;

namespace SelfSup.Training.Tests;

/// <summary>A fact that is skipped when /usr/bin/python3 cannot import torch and torchvision.</summary>
public sealed class TorchFactAttribute : FactAttribute
{
    public const string Python = "/usr/bin/python3";
    static readonly Lazy<bool> Available = new(() => Run(Python, ["-c", "import torch, torchvision"], out _) == 0);

    public TorchFactAttribute()
    {
        if (!Available.Value) Skip = $"{Python} lacks torch/torchvision";
    }

    public static int Run(string program, string[] args, out string output)
    {
        try
        {
            var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in args) start.ArgumentList.Add(a);
            using var p = Process.Start(start)!;
            var stderr = p.StandardError.ReadToEndAsync();
            output = p.StandardOutput.ReadToEnd() + stderr.Result;
            p.WaitForExit();
            return p.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception e) { output = e.Message; return -1; }
    }
}

/// <summary>
/// Opt-in: tools/export-check/check_torchvision.py loads an exported ResNet into torchvision with strict=True and
/// reproduces the embeddings of the same images (and checks the ONNX file with onnx's checker when onnx is installed).
/// </summary>
public class TorchvisionCheckTests(ITestOutputHelper log) : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("selfsup-torchcheck-").FullName;
    public void Dispose() => Directory.Delete(dir, recursive: true);

    static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "SelfSup.slnx"))) return d.FullName;
        throw new DirectoryNotFoundException("repository root (SelfSup.slnx) not found above the test binaries");
    }

    void Check(ResNet.Options options, int size, bool normalize)
    {
        var encoder = TrainedEncoder.Load(ExportFixtures.Checkpoint(dir, options, size));
        var images = ExportFixtures.ImageFolder(dir, size, options.InChannels);
        var encoderPath = Path.Combine(dir, "encoder.safetensors");
        var onnxPath = Path.Combine(dir, "encoder.onnx");
        var embeddingsPath = Path.Combine(dir, "embeddings.safetensors");
        EncoderExport.SaveSafeTensors(encoder, encoderPath);
        EncoderExport.SaveOnnx(encoder, onnxPath);
        var embeddings = EmbeddingWriter.Compute(encoder, ImageFolder.Open(images).Train, normalize);
        var metadata = EncoderExport.Metadata(encoder);
        metadata["normalized"] = normalize ? "true" : "false";
        EmbeddingWriter.Save(embeddingsPath, embeddings, metadata);

        bool onnx = TorchFactAttribute.Run(TorchFactAttribute.Python, ["-c", "import onnx"], out _) == 0;
        string[] args = [Path.Combine(RepoRoot(), "tools", "export-check", "check_torchvision.py"),
            "--encoder", encoderPath, "--embeddings", embeddingsPath, "--images", images, .. onnx ? ["--onnx", onnxPath] : Array.Empty<string>()];
        int code = TorchFactAttribute.Run(TorchFactAttribute.Python, args, out var output);
        log.WriteLine(output);
        Assert.True(code == 0, output);
        Assert.Contains("loaded", output);
        Assert.EndsWith("OK", output.Trim());
    }

    [TorchFact, Trait("Category", "Slow")]
    public void Cifar_stem_resnet18_width_8_matches_torchvision() => Check(new ResNet.Options(18, ResNetStem.Cifar, 3, 8), 32, normalize: false);

    [TorchFact, Trait("Category", "Slow")]
    public void Imagenet_stem_resnet50_width_4_matches_torchvision_with_normalized_embeddings() =>
        Check(new ResNet.Options(50, ResNetStem.ImageNet, 3, 4), 64, normalize: true);

    [TorchFact, Trait("Category", "Slow")]
    public void Cifar_stem_resnet18_width_64_loads_into_stock_torchvision_resnet18() =>
        Check(new ResNet.Options(18, ResNetStem.Cifar, 3, 64), 32, normalize: false);
}
