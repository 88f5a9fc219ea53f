using System.Text.Json;
using SelfSup.Engine;
using SelfSup.Engine.Backbones;
using SelfSup.Engine.IO;

namespace SelfSup.Training;

/// <summary>
/// The encoder's architecture as stored in checkpoint metadata, enough to rebuild it for eval, embed and export.
/// <see cref="Arch"/> is "resnet" (Depth, Stem, Width) or "vit" (Depth blocks of EmbedDim with NumHeads heads and an
/// MLP of MlpDim, on PatchSize patches); checkpoints written before ViTs existed have no Arch and are ResNets.
/// <para>
/// The description comes from a file, so <see cref="Parse"/> checks every field's type and range and
/// <see cref="CheckWeights"/> checks it against the weights it describes before anything is built from it: a bad
/// description is one <see cref="InvalidDataException"/> naming the file and the field, never a crash in a constructor.
/// </para>
/// </summary>
public sealed record BackboneSpec(int Depth, string Stem, int Width, int InChannels, int ImageSize,
    string? Arch = "resnet", int PatchSize = 0, int EmbedDim = 0, int NumHeads = 0, int MlpDim = 0)
{
    /// <summary>Largest image side a checkpoint may describe (eval resizes every image to about this).</summary>
    public const int MaxImageSize = 8192;
    /// <summary>Largest ResNet base width, ViT token width or MLP width a checkpoint may describe.</summary>
    public const int MaxWidth = 4096;

    public bool IsVit => Arch == "vit";

    public static BackboneSpec From(BackboneOptions options, int imageSize) => options switch
    {
        ResNet.Options o => new(o.Depth, o.Stem == ResNetStem.Cifar ? "cifar" : "imagenet", o.Width, o.InChannels, imageSize),
        VisionTransformer.Options v => new(v.Depth, "patch", v.EmbedDim, v.InChannels, v.ImageSize, "vit", v.PatchSize, v.EmbedDim, v.NumHeads, v.MlpDim),
        _ => throw new ArgumentException($"no checkpoint description for {options.GetType().Name}"),
    };

    public string ToJson() => JsonSerializer.Serialize(this);

    /// <summary>Reads the JSON <see cref="ToJson"/> writes, field by field, and checks it (<see cref="Problem"/>).</summary>
    public static BackboneSpec Parse(string json, string source)
    {
        string where = $"{source}: backbone description";
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json); }
        catch (JsonException e) { throw new InvalidDataException($"{where} is not valid JSON: {MessageText.Escape(e.Message, 200)}"); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{where} must be a JSON object, found {root.ValueKind}");
            var ints = new Dictionary<string, int>();
            string? stem = null, arch = "resnet";
            bool? isVit = null;
            var seen = new HashSet<string>();
            foreach (var p in root.EnumerateObject())
            {
                if (!seen.Add(p.Name)) throw new InvalidDataException($"{where} has {MessageText.Quote(p.Name)} twice");
                switch (p.Name)
                {
                    case nameof(Depth) or nameof(Width) or nameof(InChannels) or nameof(ImageSize)
                        or nameof(PatchSize) or nameof(EmbedDim) or nameof(NumHeads) or nameof(MlpDim):
                        if (p.Value.ValueKind != JsonValueKind.Number || !p.Value.TryGetInt32(out int v))
                            throw new InvalidDataException($"{where}: {p.Name} must be an integer, found {MessageText.Escape(p.Value.GetRawText())}");
                        ints[p.Name] = v;
                        break;
                    case nameof(Stem):
                        stem = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()
                            : throw new InvalidDataException($"{where}: Stem must be a string, found {p.Value.ValueKind}");
                        break;
                    case nameof(Arch):
                        arch = p.Value.ValueKind switch
                        {
                            JsonValueKind.String => p.Value.GetString(),
                            JsonValueKind.Null => null,
                            _ => throw new InvalidDataException($"{where}: Arch must be a string, found {p.Value.ValueKind}"),
                        };
                        break;
                    case nameof(IsVit):                             // derived from Arch; written for readers of the JSON
                        isVit = p.Value.ValueKind switch
                        {
                            JsonValueKind.True => true,
                            JsonValueKind.False => false,
                            _ => throw new InvalidDataException($"{where}: IsVit must be true or false, found {p.Value.ValueKind}"),
                        };
                        break;
                    default: throw new InvalidDataException($"{where} has unknown field {MessageText.Quote(p.Name)}");
                }
            }
            foreach (var required in new[] { nameof(Depth), nameof(Width), nameof(InChannels), nameof(ImageSize) })
                if (!ints.ContainsKey(required)) throw new InvalidDataException($"{where} has no {required}");
            if (stem is null) throw new InvalidDataException($"{where} has no Stem");
            var spec = new BackboneSpec(ints[nameof(Depth)], stem, ints[nameof(Width)], ints[nameof(InChannels)], ints[nameof(ImageSize)], arch,
                ints.GetValueOrDefault(nameof(PatchSize)), ints.GetValueOrDefault(nameof(EmbedDim)), ints.GetValueOrDefault(nameof(NumHeads)),
                ints.GetValueOrDefault(nameof(MlpDim)));
            if (spec.Problem() is { } problem) throw new InvalidDataException($"{where}: {problem}");
            if (isVit is bool flag && flag != spec.IsVit)
                throw new InvalidDataException($"{where}: IsVit {(flag ? "true" : "false")} contradicts Arch {MessageText.Quote(arch ?? "null")}");
            return spec;
        }
    }

    /// <summary>What makes this description unbuildable or out of range, or null when it is fine.</summary>
    public string? Problem()
    {
        static bool In(int v, int lo, int hi) => v >= lo && v <= hi;
        if (!In(ImageSize, 1, MaxImageSize)) return $"ImageSize {ImageSize} is outside 1..{MaxImageSize}";
        if (!In(InChannels, 1, 4)) return $"InChannels {InChannels} is outside 1..4";
        switch (Arch)
        {
            case null or "resnet":
                if (Depth is not (18 or 34 or 50)) return $"ResNet Depth {Depth} is not 18, 34 or 50";
                if (Stem is not ("cifar" or "imagenet")) return $"ResNet Stem {MessageText.Quote(Stem)} is not cifar or imagenet";
                if (!In(Width, 1, MaxWidth)) return $"ResNet Width {Width} is outside 1..{MaxWidth}";
                if ((PatchSize, EmbedDim, NumHeads, MlpDim) != (0, 0, 0, 0)) return "a ResNet has no PatchSize, EmbedDim, NumHeads or MlpDim";
                return null;
            case "vit":
                if (Stem != "patch") return $"ViT Stem {MessageText.Quote(Stem)} is not patch";
                if (!In(Depth, 1, 256)) return $"ViT Depth {Depth} is outside 1..256";
                if (!In(PatchSize, 1, ImageSize) || ImageSize % PatchSize != 0) return $"PatchSize {PatchSize} does not divide ImageSize {ImageSize}";
                if (!In(EmbedDim, 4, MaxWidth) || EmbedDim % 4 != 0) return $"EmbedDim {EmbedDim} is not a multiple of 4 in 4..{MaxWidth}";
                if (Width != EmbedDim) return $"ViT Width {Width} differs from EmbedDim {EmbedDim}";
                if (!In(NumHeads, 1, EmbedDim) || EmbedDim % NumHeads != 0) return $"NumHeads {NumHeads} does not divide EmbedDim {EmbedDim}";
                if (!In(MlpDim, 1, 4 * MaxWidth)) return $"MlpDim {MlpDim} is outside 1..{4 * MaxWidth}";
                return null;
            default: return $"unknown backbone architecture {MessageText.Quote(Arch)}";
        }
    }

    /// <summary>
    /// Checks the tensors that fix this architecture's size against <paramref name="weights"/> (the backbone's state,
    /// prefix removed) before the backbone is built from it, so that a description cannot make the reader build a
    /// network far larger than the weights in the file: a ResNet's conv1 (width, channels, stem), a ViT's patch
    /// projection, position embedding, first MLP and block count. The strict load after the build checks the rest.
    /// </summary>
    public void CheckWeights(StateDict weights, string source)
    {
        void Expect(string name, params int[] shape)
        {
            if (!weights.Contains(name))
                throw new InvalidDataException($"{source}: the backbone description needs tensor 'backbone.{name}', which the checkpoint lacks");
            var actual = weights[name].Shape;
            if (!ShapeUtil.Equal(actual, shape))
                throw new InvalidDataException($"{source}: tensor 'backbone.{name}' is {ShapeUtil.Format(actual)}, but the backbone description needs {ShapeUtil.Format(shape)}");
        }
        if (!IsVit) { int k = Stem == "cifar" ? 3 : 7; Expect("conv1.weight", Width, InChannels, k, k); return; }
        int tokens = (ImageSize / PatchSize) * (ImageSize / PatchSize);
        Expect("patch_embed.proj.weight", EmbedDim, InChannels, PatchSize, PatchSize);
        Expect("pos_embed", 1, 1 + tokens, EmbedDim);
        Expect($"blocks.{Depth - 1}.mlp.fc1.weight", MlpDim, EmbedDim);
        if (weights.Contains($"blocks.{Depth}.mlp.fc1.weight"))
            throw new InvalidDataException($"{source}: the checkpoint holds more ViT blocks than the backbone description's Depth {Depth}");
    }

    /// <summary>The options that rebuild this backbone without classifier.</summary>
    public BackboneOptions Options() => Arch switch
    {
        null or "resnet" => new ResNet.Options(Depth, Stem == "cifar" ? ResNetStem.Cifar : ResNetStem.ImageNet, InChannels, Width, NumClasses: 0),
        "vit" => new VisionTransformer.Options(ImageSize, PatchSize, InChannels, EmbedDim, Depth, NumHeads, MlpDim),
        _ => throw new InvalidDataException($"unknown backbone architecture {MessageText.Quote(Arch ?? "")} in checkpoint metadata"),
    };

    /// <summary>The backbone without classifier, weights initialised from a fixed seed (to be overwritten by loading).</summary>
    public Backbone Build() => Options().BuildEncoder(new Generator(0));
}
