using System.Buffers.Binary;
using System.Text;
using Xunit;

namespace SelfSup.Training.Tests;

/// <summary>The edits a reliability probe made to checkpoints' headers (all passed the tensor-only checksum of format 1):
/// each is now refused with one line naming the file, by the library and by the commands that read checkpoints.</summary>
public class CheckpointIntegrityTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("selfsup-integrity-").FullName;
    readonly string data, checkpoint;

    public CheckpointIntegrityTests()
    {
        data = TinyData.Write(Path.Combine(root, "data"));
        var o = new TrainOptions
        {
            Method = "mocov2", Data = data, Width = 4, Epochs = 1, BatchSize = 32, Out = Path.Combine(root, "run"),
            LoaderThreads = 1, KnnK = 5, KnnEvery = 0, CheckpointEverySteps = 0,
        };
        checkpoint = new Trainer(Recipe.Resolve(o), TextWriter.Null).Run().Checkpoint;
    }

    public void Dispose() => Directory.Delete(root, recursive: true);

    /// <summary>A copy of the checkpoint whose JSON header has <paramref name="from"/> replaced by <paramref name="to"/>
    /// (once), the length prefix rewritten: a well-formed safetensors file saying something else.</summary>
    string Edited(string from, string to)
    {
        var bytes = File.ReadAllBytes(checkpoint);
        int n = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        var header = Encoding.UTF8.GetString(bytes, 8, n);
        int at = header.IndexOf(from, StringComparison.Ordinal);
        Assert.True(at >= 0, $"'{from}' is not in the header: {header[header.IndexOf("\"backbone\"", StringComparison.Ordinal)..][..200]}");
        var edited = Encoding.UTF8.GetBytes(header[..at] + to + header[(at + from.Length)..]);
        var file = new byte[8 + edited.Length + bytes.Length - 8 - n];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)edited.Length);
        edited.CopyTo(file, 8);
        bytes.AsSpan(8 + n).CopyTo(file.AsSpan(8 + edited.Length));
        var path = Path.Combine(root, $"edited-{Guid.NewGuid():N}.safetensors");
        File.WriteAllBytes(path, file);
        return path;
    }

    public static TheoryData<string, string> Edits => new()
    {
        { "\"step\":\"4\"", "\"step\":\"2\"" },                       // resume from the wrong step
        { "\\\"ImageSize\\\":16", "\\\"ImageSize\\\":32" },   // eval at another size
        { "\"dtype\":\"F32\"", "\"dtype\":\"I32\"" },                  // a tensor relabelled
    };

    [Theory, MemberData(nameof(Edits))]
    public void An_edited_header_is_refused_naming_the_file(string from, string to)
    {
        var path = Edited(from, to);
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path));
        Assert.StartsWith(path, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData("export")]
    [InlineData("eval")]
    public void A_corrupt_backbone_description_is_one_line_and_exit_code_1(string command)
    {
        var path = Edited("\\\"Depth\\\":18", "\\\"Depth\\\":{8");     // the JSON no longer parses
        string[] args = command == "export"
            ? ["export", "--checkpoint", path, "--out", Path.Combine(root, "encoder.safetensors")]
            : ["eval", "knn", "--checkpoint", path, "--data", data, "--k", "5"];
        var r = CliRun.Run(args);
        Assert.Equal(1, r.ExitCode);
        var line = Assert.Single(r.Stderr.Trim().Split('\n'));
        Assert.StartsWith($"selfsup: {path}", line);
        Assert.False(File.Exists(Path.Combine(root, "encoder.safetensors")));
    }

    [Fact]
    public void A_nan_weight_is_never_written()
    {
        var content = Checkpoint.Load(checkpoint);
        var (name, entry) = content.Model.First(kv => kv.Value.Float is not null);
        entry.Float!.Span[0] = float.NaN;
        var target = Path.Combine(root, "nan.safetensors");
        var e = Assert.Throws<NonFiniteStateException>(() => Checkpoint.Save(target, content));
        Assert.Contains($"model.{name}", e.Message);
        Assert.False(File.Exists(target));
    }

    /// <summary>A checkpoint of format 1 (checksum over tensor names, shapes and values only), rebuilt from a new one
    /// with that checksum computed here from its definition.</summary>
    string Format1()
    {
        var file = Engine.IO.SafeTensors.Load(checkpoint);
        file.Metadata.Remove("content_sha256");
        file.Metadata["format"] = "selfsup-checkpoint-1";
        using var sha = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        foreach (var k in file.Keys.Order(StringComparer.Ordinal))
        {
            var e = file[k];
            sha.AppendData(Encoding.UTF8.GetBytes(k + "|" + string.Join(",", e.Shape) + "|"));
            sha.AppendData(e.Float is { } f ? System.Runtime.InteropServices.MemoryMarshal.AsBytes(f.Contiguous().Span)
                : System.Runtime.InteropServices.MemoryMarshal.AsBytes(e.Int!.Data.AsSpan()));
        }
        file.Metadata["sha256"] = Convert.ToHexStringLower(sha.GetHashAndReset());
        var path = Path.Combine(root, "format1.safetensors");
        Engine.IO.SafeTensors.Save(path, file);
        return path;
    }

    [Fact]
    public void A_format_1_checkpoint_loads_with_one_warning_and_its_checksum_still_guards_the_values()
    {
        var path = Format1();
        var warnings = new StringWriter();
        Assert.Equal(Checkpoint.Load(checkpoint).Info["step"], Checkpoint.Load(path, warnings).Info["step"]);
        var line = Assert.Single(warnings.ToString().Trim().Split('\n'));
        Assert.StartsWith($"warning: {path}: format selfsup-checkpoint-1", line);
        var bytes = File.ReadAllBytes(path);
        bytes[^100] ^= 0x40;                                                       // one flipped bit in the tensor data
        File.WriteAllBytes(path, bytes);
        Assert.Contains("checksum mismatch", Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path)).Message);
    }
}
