using System.Globalization;
using System.Text.Json;
using SelfSup.Engine;
using SelfSup.Engine.Backbones;
using SelfSup.Engine.IO;
using SelfSup.Vision.Transforms;

namespace SelfSup.Training;

/// <summary>A checkpoint's encoder rebuilt from its metadata and loaded with its "backbone." weights, in eval mode
/// (eval, embed, export, neighbours); <see cref="HeadWeights"/> are its "head." weights (projection head), possibly empty.</summary>
public sealed record TrainedEncoder(Backbone Backbone, BackboneSpec Spec, string Method, string Source, StateDict HeadWeights)
{
    /// <summary>Reads <paramref name="checkpoint"/> (verified by <see cref="Checkpoint.Load"/>, which also checks the
    /// backbone description against the weights) and loads the backbone strictly; every problem is an
    /// <see cref="InvalidDataException"/> naming the file. Warnings (a legacy checkpoint) go to <paramref name="warnings"/>.</summary>
    public static TrainedEncoder Load(string checkpoint, TextWriter? warnings = null)
    {
        var content = Checkpoint.Load(checkpoint, warnings);
        if (!content.Info.TryGetValue("backbone", out var specJson))
            throw new InvalidDataException($"{checkpoint}: no backbone description in its metadata");
        var spec = BackboneSpec.Parse(specJson, checkpoint);
        var weights = Checkpoint.Section(content.Model, "backbone.");
        if (weights.Count == 0) throw new InvalidDataException($"{checkpoint}: no 'backbone.' weights in the checkpoint");
        spec.CheckWeights(weights, checkpoint);
        var backbone = spec.Build();
        try { backbone.LoadStateDict(weights, strict: true); }
        catch (InvalidDataException e) { throw new InvalidDataException($"{checkpoint}: the weights do not match the backbone description: {e.Message}"); }
        backbone.Eval();
        return new TrainedEncoder(backbone, spec, content.Info.GetValueOrDefault("method", "unknown"), checkpoint,
            Checkpoint.Section(content.Model, "head."));
    }
}

/// <summary>
/// `selfsup export`: the encoder alone as safetensors, with torchvision (ResNet) or timm (ViT) key names and no
/// classifier keys, so `load_state_dict(strict=True)` works on a model built with the same stem and widths and its
/// fc/head set to Identity. The metadata says how to rebuild the model and preprocess its input.
/// </summary>
public static class EncoderExport
{
    public const string FormatVersion = "selfsup-encoder-1";

    /// <summary>"resnet18|34|50", "vit-tiny", "vit-small", or "vit" for other ViT sizes (its dims are in the metadata).</summary>
    public static string Architecture(BackboneSpec spec) => spec.IsVit
        ? (spec.EmbedDim, spec.Depth, spec.NumHeads, spec.MlpDim) switch
        {
            (192, 12, 3, 768) => "vit-tiny",
            (384, 12, 6, 1536) => "vit-small",
            _ => "vit",
        }
        : $"resnet{spec.Depth}";

    /// <summary>The normalisation of the eval transform (<see cref="ViewParts.Eval"/>), which embed uses too.</summary>
    public static Normalize Normalization(BackboneSpec spec) => Normalize.For(spec.ImageSize, spec.InChannels);

    /// <summary>The shorter side the eval transform resizes to before the centre crop of ImageSize.</summary>
    public static int EvalResize(BackboneSpec spec) => spec.ImageSize <= ViewParts.SmallImageSize ? spec.ImageSize : spec.ImageSize * 256 / 224;

    /// <summary>What a user needs to rebuild the encoder and feed it: architecture, sizes, normalisation, provenance.</summary>
    public static Dictionary<string, string> Metadata(TrainedEncoder encoder)
    {
        var s = encoder.Spec;
        static string Int(int v) => v.ToString(CultureInfo.InvariantCulture);
        var norm = Normalization(s);
        var meta = new Dictionary<string, string>
        {
            ["format"] = FormatVersion,
            ["architecture"] = Architecture(s),
            ["key_names"] = s.IsVit ? "timm" : "torchvision",
            ["stem"] = s.Stem,
            ["in_channels"] = Int(s.InChannels),
            ["image_size"] = Int(s.ImageSize),
            ["feature_dim"] = Int(encoder.Backbone.FeatureDim),
            ["resize"] = Int(EvalResize(s)),
            ["crop"] = Int(s.ImageSize),
            ["mean"] = JsonSerializer.Serialize(norm.Mean),
            ["std"] = JsonSerializer.Serialize(norm.Std),
            ["method"] = encoder.Method,
            ["source_checkpoint"] = encoder.Source,
            ["backbone"] = s.ToJson(),
        };
        if (s.IsVit)
        {
            meta["patch_size"] = Int(s.PatchSize);
            meta["embed_dim"] = Int(s.EmbedDim);
            meta["depth"] = Int(s.Depth);
            meta["num_heads"] = Int(s.NumHeads);
            meta["mlp_dim"] = Int(s.MlpDim);
        }
        else meta["widths"] = JsonSerializer.Serialize(new[] { s.Width, 2 * s.Width, 4 * s.Width, 8 * s.Width });
        return meta;
    }

    /// <summary>The encoder's state dict (parameters and buffers, num_batches_tracked as integers) with <see cref="Metadata"/>.</summary>
    public static StateDict EncoderState(TrainedEncoder encoder)
    {
        var state = encoder.Backbone.StateDict();
        foreach (var (k, v) in Metadata(encoder)) state.Metadata[k] = v;
        return state;
    }

    /// <summary>Writes <see cref="EncoderState"/> to <paramref name="path"/> atomically.</summary>
    public static void SaveSafeTensors(TrainedEncoder encoder, string path)
    {
        var state = EncoderState(encoder);
        AtomicFile.Write(path, stream => SafeTensors.Write(stream, state));
    }

    /// <summary>Writes the ResNet encoder as an ONNX model (see <see cref="OnnxWriter"/>); ViTs are refused.</summary>
    public static void SaveOnnx(TrainedEncoder encoder, string path)
    {
        if (encoder.Backbone is not ResNet resnet)
            throw new NotSupportedException($"ONNX export supports ResNet encoders only; {Architecture(encoder.Spec)} can be exported as safetensors");
        var bytes = OnnxWriter.Serialize(resnet, encoder.Spec.ImageSize, Metadata(encoder));
        AtomicFile.Write(path, stream => stream.Write(bytes));
    }
}
