using System.Buffers.Binary;
using System.Text.Json;
using SelfSup.Engine;
using SelfSup.Engine.Backbones;
using SelfSup.Engine.IO;
using Xunit;

namespace SelfSup.Training.Tests;

public class EncoderExportTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("selfsup-export-").FullName;
    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void Exported_keys_are_the_backbones_state_dict_with_equal_values_and_no_head()
    {
        var checkpoint = ExportFixtures.Checkpoint(dir, ExportFixtures.SmallResNet(), 32);
        var encoder = TrainedEncoder.Load(checkpoint);
        var path = Path.Combine(dir, "encoder.safetensors");
        EncoderExport.SaveSafeTensors(encoder, path);

        var exported = SafeTensors.Load(path);
        var reference = SelfSup.Training.Checkpoint.Section(SelfSup.Training.Checkpoint.Load(checkpoint).Model, "backbone.");
        var fresh = ExportFixtures.SmallResNet().BuildEncoder(new Generator(9)).StateDict();
        Assert.Equal(fresh.Keys, exported.Keys);                                   // same names, same (torch) order
        Assert.DoesNotContain(exported.Keys, k => k.StartsWith("fc.") || k.StartsWith("head"));
        Assert.Contains("layer2.0.downsample.1.running_var", exported.Keys);
        foreach (var (k, e) in reference)
            if (e.Float is { } f) Assert.Equal(f.ToArray(), exported.Float(k).ToArray());
            else Assert.Equal(e.Int!.Data, exported.Int(k).Data);
        Assert.Equal([17], exported.Int("bn1.num_batches_tracked").Data);
    }

    [Fact]
    public void Num_batches_tracked_is_stored_as_I64_in_the_file()
    {
        var encoder = TrainedEncoder.Load(ExportFixtures.Checkpoint(dir, ExportFixtures.SmallResNet(), 32));
        var path = Path.Combine(dir, "encoder.safetensors");
        EncoderExport.SaveSafeTensors(encoder, path);
        var bytes = File.ReadAllBytes(path);
        int size = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        using var header = JsonDocument.Parse(bytes.AsMemory(8, size));
        Assert.Equal("I64", header.RootElement.GetProperty("layer1.0.bn2.num_batches_tracked").GetProperty("dtype").GetString());
        Assert.Equal("F32", header.RootElement.GetProperty("conv1.weight").GetProperty("dtype").GetString());
    }

    [Fact]
    public void Metadata_records_architecture_sizes_normalisation_and_source()
    {
        var checkpoint = ExportFixtures.Checkpoint(dir, ExportFixtures.SmallResNet(ResNetStem.Cifar, 34, 8), 32);
        var path = Path.Combine(dir, "encoder.safetensors");
        EncoderExport.SaveSafeTensors(TrainedEncoder.Load(checkpoint), path);
        var meta = SafeTensors.Load(path).Metadata;
        Assert.Equal("resnet34", meta["architecture"]);
        Assert.Equal("cifar", meta["stem"]);
        Assert.Equal("[8,16,32,64]", meta["widths"]);
        Assert.Equal("3", meta["in_channels"]);
        Assert.Equal("32", meta["image_size"]);
        Assert.Equal("64", meta["feature_dim"]);
        Assert.Equal([0.4914f, 0.4822f, 0.4465f], JsonSerializer.Deserialize<float[]>(meta["mean"])!);      // CIFAR-10 statistics
        Assert.Equal([0.2470f, 0.2435f, 0.2616f], JsonSerializer.Deserialize<float[]>(meta["std"])!);
        Assert.Equal("simclr", meta["method"]);
        Assert.Equal(checkpoint, meta["source_checkpoint"]);
        Assert.Equal(EncoderExport.FormatVersion, meta["format"]);
    }

    [Fact]
    public void Grey_imagenet_stem_resnet50_gets_fashion_mnist_statistics_and_bottleneck_width()
    {
        var options = ExportFixtures.SmallResNet(ResNetStem.ImageNet, 50, 4, channels: 1);
        var encoder = TrainedEncoder.Load(ExportFixtures.Checkpoint(dir, options, 28));
        var meta = EncoderExport.Metadata(encoder);
        Assert.Equal("resnet50", meta["architecture"]);
        Assert.Equal("imagenet", meta["stem"]);
        Assert.Equal("128", meta["feature_dim"]);                                   // 8w · 4
        Assert.Equal("[0.286]", meta["mean"]);
        Assert.Equal("[0.353]", meta["std"]);
    }

    [Fact]
    public void Vit_export_uses_timm_names_without_head_and_records_the_patch_size()
    {
        var vit = new VisionTransformer.Options(ImageSize: 32, PatchSize: 8, InChannels: 3, EmbedDim: 32, Depth: 2, NumHeads: 2, MlpDim: 64);
        var encoder = TrainedEncoder.Load(ExportFixtures.Checkpoint(dir, vit, 32));
        var path = Path.Combine(dir, "vit.safetensors");
        EncoderExport.SaveSafeTensors(encoder, path);
        var exported = SafeTensors.Load(path);
        Assert.Equal(vit.BuildEncoder(new Generator(1)).StateDict().Keys, exported.Keys);
        Assert.Contains("blocks.1.attn.qkv.weight", exported.Keys);
        Assert.DoesNotContain(exported.Keys, k => k.StartsWith("head"));
        Assert.Equal("vit", exported.Metadata["architecture"]);
        Assert.Equal("8", exported.Metadata["patch_size"]);
        Assert.Equal("timm", exported.Metadata["key_names"]);
        Assert.Equal("vit-tiny", EncoderExport.Architecture(BackboneSpec.From(VisionTransformer.Options.Tiny(32, 4), 32)));
    }

    [Fact]
    public void Onnx_export_of_a_vit_is_refused_with_a_clear_message()
    {
        var vit = new VisionTransformer.Options(ImageSize: 16, PatchSize: 8, EmbedDim: 16, Depth: 1, NumHeads: 2, MlpDim: 32);
        var encoder = TrainedEncoder.Load(ExportFixtures.Checkpoint(dir, vit, 16));
        var e = Assert.Throws<NotSupportedException>(() => EncoderExport.SaveOnnx(encoder, Path.Combine(dir, "vit.onnx")));
        Assert.Contains("ResNet encoders only", e.Message);
        Assert.False(File.Exists(Path.Combine(dir, "vit.onnx")));
    }

    [Fact]
    public void A_missing_output_folder_is_named_and_nothing_is_written()
    {
        var encoder = TrainedEncoder.Load(ExportFixtures.Checkpoint(dir, ExportFixtures.SmallResNet(), 32));
        var target = Path.Combine(dir, "no-such-folder", "encoder.safetensors");
        var e = Assert.Throws<DirectoryNotFoundException>(() => EncoderExport.SaveSafeTensors(encoder, target));
        Assert.Contains("no-such-folder", e.Message);
    }

    [Fact]
    public void Checkpoints_without_backbone_weights_or_description_are_rejected_by_name()
    {
        var path = Path.Combine(dir, "bare.safetensors");
        var model = new StateDict(); model.Add("head.weight", Tensor.Ones(2, 2));
        SelfSup.Training.Checkpoint.Save(path, new CheckpointContent(model, new StateDict(), new StateDict(), new Dictionary<string, string>()));
        Assert.Contains("no backbone description", Assert.Throws<InvalidDataException>(() => TrainedEncoder.Load(path)).Message);

        var spec = BackboneSpec.From(ExportFixtures.SmallResNet(), 32).ToJson();
        SelfSup.Training.Checkpoint.Save(path, new CheckpointContent(model, new StateDict(), new StateDict(), new Dictionary<string, string> { ["backbone"] = spec }));
        Assert.Contains("no 'backbone.' weights", Assert.Throws<InvalidDataException>(() => TrainedEncoder.Load(path)).Message);

        File.WriteAllText(path, "not a safetensors file");
        Assert.Throws<InvalidDataException>(() => TrainedEncoder.Load(path));
        Assert.Throws<FileNotFoundException>(() => TrainedEncoder.Load(Path.Combine(dir, "missing.safetensors")));
    }
}
