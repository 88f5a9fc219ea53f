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
/// Checkpoint files (DESIGN.md "Files"): safetensors with "model.", "optim." and "extra." tensors, metadata with a
/// format version and a SHA-256 over every tensor's name, shape and bytes (safetensors has no checksum of its own).
/// Writes are atomic (temporary file, flush, rename), so a crash never leaves a half-written checkpoint.
/// </summary>
public static class Checkpoint
{
    public const string FormatVersion = "selfsup-checkpoint-1";
    const string VersionKey = "format", HashKey = "sha256";

    public static void Save(string path, CheckpointContent content)
    {
        using var staged = Stage(path, content);
        staged.Commit();
    }

    /// <summary>Writes the checkpoint to a temporary file beside <paramref name="path"/>, to be committed (renamed into
    /// place) once its state is known to be sound, or disposed (deleted) if not (see <see cref="AtomicFile.Stage"/>).</summary>
    public static AtomicFile.Staged Stage(string path, CheckpointContent content)
    {
        var file = new StateDict();
        Append(file, "model.", content.Model);
        Append(file, "optim.", content.Optimizer);
        Append(file, "extra.", content.Extra);
        foreach (var (k, v) in content.Info) file.Metadata[k] = v;
        file.Metadata[VersionKey] = FormatVersion;
        file.Metadata[HashKey] = Hash(file);
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null) Directory.CreateDirectory(folder);
        return AtomicFile.Stage(path, stream => SafeTensors.Write(stream, file));
    }

    /// <summary>Reads and verifies a checkpoint; any problem is an InvalidDataException naming the file.</summary>
    public static CheckpointContent Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: checkpoint not found");
        var file = SafeTensors.Load(path);
        var name = Path.GetFileName(path);
        if (!file.Metadata.TryGetValue(VersionKey, out var version))
            throw new InvalidDataException($"{name}: not a SelfSup checkpoint (no '{VersionKey}' in its metadata)");
        if (version != FormatVersion)
            throw new InvalidDataException($"{name}: checkpoint format '{version}' is not supported (expected '{FormatVersion}')");
        if (!file.Metadata.TryGetValue(HashKey, out var expected) || expected != Hash(file))
            throw new InvalidDataException($"{name}: checksum mismatch, the checkpoint is corrupt");
        var info = file.Metadata.Where(kv => kv.Key is not (VersionKey or HashKey)).ToDictionary(kv => kv.Key, kv => kv.Value);
        return new CheckpointContent(Section(file, "model."), Section(file, "optim."), Section(file, "extra."), info);
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

    /// <summary>SHA-256 over each tensor's name, shape and little-endian bytes, in name order.</summary>
    static string Hash(StateDict file)
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
