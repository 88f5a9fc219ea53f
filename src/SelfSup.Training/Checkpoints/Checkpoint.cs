using System.Security.Cryptography;
using SelfSup.Engine;
using SelfSup.Engine.IO;

namespace SelfSup.Training;

/// <summary>
/// What a checkpoint holds: model weights, optimiser state, method state (queue, memory bank) and string info
/// (method, options, epoch, step, RNG state...). Stored as one safetensors file with prefixed names.
/// </summary>
public sealed record CheckpointContent(StateDict Model, StateDict Optimizer, StateDict Extra, IReadOnlyDictionary<string, string> Info);

/// <summary>
/// Checkpoint files (docs/checkpoints.md): safetensors with "model.", "optim." and "extra." tensors and metadata with a
/// format version and a SHA-256 over the whole file's meaning (<c>content_sha256</c>: every metadata entry, tensor name,
/// dtype, shape and offset, and the data bytes; safetensors has no checksum of its own), so that an edited step or
/// image size is refused like a flipped weight. Both ends apply the metadata schema (<see cref="CheckpointInfo"/>), and
/// the writer refuses non-finite state (<see cref="FirstNonFinite"/>). Writes are atomic (temporary file, flush,
/// rename), so a crash never leaves a half-written checkpoint.
/// </summary>
public static class Checkpoint
{
    public const string FormatVersion = "selfsup-checkpoint-2";
    /// <summary>The first format, whose <c>sha256</c> covers tensor names, shapes and values only: still read, with a
    /// warning that its metadata is unverified (docs/checkpoints.md says why).</summary>
    public const string LegacyFormatVersion = "selfsup-checkpoint-1";
    const string VersionKey = "format", DigestKey = "content_sha256", LegacyHashKey = "sha256";
    static readonly string[] Sections = ["model.", "optim.", "extra."];

    /// <summary>Writes <paramref name="content"/> to <paramref name="path"/> (creating its folder) atomically. Refuses,
    /// before writing anything, state holding NaN or ±∞ (<see cref="NonFiniteStateException"/>) and metadata the
    /// reader would refuse (<see cref="InvalidDataException"/>).</summary>
    public static void Save(string path, CheckpointContent content)
    {
        using var staged = Stage(path, content);
        staged.Commit();
    }

    /// <summary>Writes the checkpoint to a temporary file beside <paramref name="path"/>, to be committed (renamed into
    /// place) once its state is known to be sound, or disposed (deleted) if not (see <see cref="AtomicFile.Stage"/>).
    /// Refuses non-finite state and invalid metadata as <see cref="Save"/> does.</summary>
    public static AtomicFile.Staged Stage(string path, CheckpointContent content)
    {
        if (FirstNonFinite(content) is { } bad) throw new NonFiniteStateException(path, bad);
        CheckpointInfo.Validate(content.Info, content.Model, path);
        var file = new StateDict();
        Append(file, "model.", content.Model);
        Append(file, "optim.", content.Optimizer);
        Append(file, "extra.", content.Extra);
        foreach (var (k, v) in content.Info) file.Metadata[k] = v;
        file.Metadata[VersionKey] = FormatVersion;
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null) Directory.CreateDirectory(folder);
        return AtomicFile.Stage(path, stream => SafeTensors.Write(stream, file, DigestKey));
    }

    /// <summary>
    /// The name ("model.backbone.conv1.weight") and first bad element of the first tensor of <paramref name="content"/>
    /// (model, then optimiser, then extra state) holding NaN or ±∞, or null when all are finite. The writer refuses such
    /// state; a trainer may ask first, to stop before an update makes its state unsaveable.
    /// </summary>
    public static NonFiniteTensor? FirstNonFinite(CheckpointContent content)
    {
        foreach (var (prefix, part) in new[] { ("model.", content.Model), ("optim.", content.Optimizer), ("extra.", content.Extra) })
            foreach (var (name, entry) in part)
            {
                if (entry.Float is not { } f) continue;
                var values = f.Contiguous().Span;
                for (int i = 0; i < values.Length; i++)
                    if (!float.IsFinite(values[i])) return new NonFiniteTensor(prefix + name, i, values[i]);
            }
        return null;
    }

    /// <summary>Reads and verifies a checkpoint; any problem is an <see cref="InvalidDataException"/> naming the file
    /// (or <see cref="FileNotFoundException"/>, <see cref="IOException"/>). A checkpoint of the legacy format is read
    /// with one warning line on <paramref name="warnings"/>.</summary>
    public static CheckpointContent Load(string path, TextWriter? warnings = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: checkpoint not found");
        var (file, digest) = SafeTensors.LoadWithDigest(path, DigestKey);
        if (!file.Metadata.TryGetValue(VersionKey, out var version))
            throw new InvalidDataException($"{path}: not a SelfSup checkpoint (no '{VersionKey}' in its metadata)");
        string hashKey;
        if (version == FormatVersion)
        {
            if (!file.Metadata.TryGetValue(DigestKey, out var expected) || expected != digest)
                throw new InvalidDataException($"{path}: checksum mismatch, the checkpoint is corrupt (its header or data changed since it was written)");
            hashKey = DigestKey;
        }
        else if (version == LegacyFormatVersion)
        {
            if (!file.Metadata.TryGetValue(LegacyHashKey, out var expected) || expected != LegacyHash(file))
                throw new InvalidDataException($"{path}: checksum mismatch, the checkpoint is corrupt");
            warnings?.WriteLine($"warning: {path}: format {LegacyFormatVersion}: its checksum covers the tensor values only, so its metadata (step, image size, dtypes) is range-checked but unverified");
            hashKey = LegacyHashKey;
        }
        else throw new InvalidDataException($"{path}: checkpoint format {MessageText.Quote(version)} is not supported (expected '{FormatVersion}')");

        foreach (var name in file.Keys)
            if (!Sections.Any(s => name.StartsWith(s, StringComparison.Ordinal)))
                throw new InvalidDataException($"{path}: tensor {MessageText.Quote(name)} is in none of the sections {string.Join(", ", Sections)}");
        var info = file.Metadata.Where(kv => kv.Key != VersionKey && kv.Key != hashKey).ToDictionary(kv => kv.Key, kv => kv.Value);
        var model = Section(file, "model.");
        CheckpointInfo.Validate(info, model, path);
        return new CheckpointContent(model, Section(file, "optim."), Section(file, "extra."), info);
    }

    static void Append(StateDict file, string prefix, StateDict part)
    {
        foreach (var (k, e) in part)
        {
            if (e.Float is { } f) file.Add(prefix + k, f);
            else file.Add(prefix + k, e.Int!);
        }
    }

    /// <summary>The entries of <paramref name="file"/> whose names start with <paramref name="prefix"/>, with it removed
    /// (e.g. the backbone's weights out of a method's state: "backbone.").</summary>
    public static StateDict Section(StateDict file, string prefix)
    {
        var part = new StateDict();
        foreach (var (k, e) in file)
        {
            if (!k.StartsWith(prefix, StringComparison.Ordinal)) continue;
            if (e.Float is { } f) part.Add(k[prefix.Length..], f);
            else part.Add(k[prefix.Length..], e.Int!);
        }
        return part;
    }

    /// <summary>The legacy format's SHA-256: each tensor's name, shape and values, in name order (not its dtype label
    /// or metadata).</summary>
    static string LegacyHash(StateDict file)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var k in file.Keys.Order(StringComparer.Ordinal))
        {
            var e = file[k];
            sha.AppendData(System.Text.Encoding.UTF8.GetBytes(k + "|" + string.Join(",", e.Shape) + "|"));
            if (e.Float is { } f) sha.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(f.Contiguous().Span));
            else sha.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(e.Int!.Data.AsSpan()));
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}

/// <summary>The first non-finite value of a state: the tensor's full checkpoint name, the element's index and value.</summary>
public sealed record NonFiniteTensor(string Name, int Index, float Value);

/// <summary>A checkpoint was not written because its state holds NaN or ±∞ (a diverged run): the message names the
/// file and the first such tensor; <see cref="Tensor"/> says which, for a trainer that reports its last good checkpoint.</summary>
public sealed class NonFiniteStateException(string path, NonFiniteTensor tensor)
    : InvalidOperationException($"{path}: not written: tensor '{tensor.Name}' holds {tensor.Value} at element {tensor.Index} (the state is not finite)")
{
    public string Path { get; } = path;
    public NonFiniteTensor Tensor { get; } = tensor;
}
