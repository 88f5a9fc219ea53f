using System.Buffers.Binary;
using System.Text;
using SelfSup.Engine;
using SelfSup.Engine.IO;
using SelfSup.Testing;
using Xunit;
using Xunit.Abstractions;

namespace SelfSup.Training.Tests;

/// <summary>Mutation fuzzing of checkpoints (<see cref="Checkpoint.Load"/>) and of encoder exports read back as
/// safetensors (see <see cref="Fuzz"/>), plus a sweep that flips header bytes one at a time. Seeds: a real checkpoint of
/// a tiny run and its export.</summary>
public sealed class CheckpointFuzzTests : IDisposable
{
    readonly ITestOutputHelper output;
    readonly string root = Directory.CreateTempSubdirectory("selfsup-ckfuzz-").FullName;
    readonly byte[] checkpoint, export;

    public CheckpointFuzzTests(ITestOutputHelper output)
    {
        this.output = output;
        var o = new TrainOptions
        {
            Method = "simclr", Data = TinyData.Write(Path.Combine(root, "data"), train: 64, test: 16), Width = 2, Epochs = 1,
            BatchSize = 32, Out = Path.Combine(root, "run"), LoaderThreads = 1, KnnK = 5, KnnEvery = 0, CheckpointEverySteps = 0,
        };
        var path = new Trainer(Recipe.Resolve(o), TextWriter.Null).Run().Checkpoint;
        checkpoint = File.ReadAllBytes(path);
        var exported = Path.Combine(root, "encoder.safetensors");
        EncoderExport.SaveSafeTensors(TrainedEncoder.Load(path), exported);
        export = File.ReadAllBytes(exported);
    }

    public void Dispose() => Directory.Delete(root, recursive: true);

    static readonly Fuzz.Limits Limits = new("checkpoint", [typeof(InvalidDataException)],
        BytesPerInputByte: 64, FixedBytes: 64 << 20, Timeout: TimeSpan.FromSeconds(20));

    /// <summary>A stable fingerprint of what was read: metadata and every tensor's name, shape and values.</summary>
    static string Fingerprint(IEnumerable<KeyValuePair<string, string>> metadata, StateDict tensors)
    {
        var text = new StringBuilder();
        foreach (var (k, v) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal)) text.Append(k).Append('=').Append(v).Append('\n');
        foreach (var k in tensors.Keys.Order(StringComparer.Ordinal))
        {
            var e = tensors[k];
            var bytes = e.Float is { } f ? System.Runtime.InteropServices.MemoryMarshal.AsBytes(f.Contiguous().Span).ToArray()
                : System.Runtime.InteropServices.MemoryMarshal.AsBytes(e.Int!.Data.AsSpan()).ToArray();
            text.Append(k).Append(string.Join(",", e.Shape)).Append(Fuzz.Hash(bytes)).Append('\n');
        }
        return Fuzz.Hash(Encoding.UTF8.GetBytes(text.ToString()));
    }

    string LoadCheckpoint(byte[] bytes)
    {
        var path = Path.Combine(root, $"case-{Environment.CurrentManagedThreadId}.safetensors");
        File.WriteAllBytes(path, bytes);
        var c = Checkpoint.Load(path);
        var all = new StateDict();
        foreach (var (prefix, part) in new[] { ("model.", c.Model), ("optim.", c.Optimizer), ("extra.", c.Extra) })
            foreach (var (k, e) in part) { if (e.Float is { } f) all.Add(prefix + k, f); else all.Add(prefix + k, e.Int!); }
        return Fingerprint(c.Info, all);
    }

    static string LoadExport(byte[] bytes)
    {
        var state = SafeTensors.Deserialize(bytes, "encoder.safetensors");
        return Fingerprint(state.Metadata, state);
    }

    [Fact, Trait("Category", "Fuzz")]
    public void Checkpoints_survive_mutations() =>
        Fuzz.Run(Limits, [checkpoint], LoadCheckpoint, Fuzz.Cases(200), seed: 4, output);

    [Fact, Trait("Category", "Fuzz")]
    public void Exports_survive_mutations() =>
        Fuzz.Run(Limits with { Reader = "export" }, [export], LoadExport, Fuzz.Cases(300), seed: 5, output);

    /// <summary>Every header byte flipped once (a seeded sample in the normal run): each edit is a one-line error —
    /// the digest covers the whole header, so no edit may load.</summary>
    [Fact, Trait("Category", "Fuzz")]
    public void Every_flipped_header_byte_of_a_checkpoint_is_refused()
    {
        int headerEnd = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(checkpoint);
        var positions = Enumerable.Range(0, headerEnd).ToArray();
        int count = Math.Min(positions.Length, Fuzz.Cases(150));
        new Random(6).Shuffle(positions);
        int loaded = 0;
        foreach (int at in positions[..count])
        {
            var bytes = (byte[])checkpoint.Clone();
            bytes[at] ^= 0x01;
            try { LoadCheckpoint(bytes); loaded++; output.WriteLine($"byte {at} flipped: loaded"); }
            catch (InvalidDataException e) { Assert.DoesNotContain('\n', e.Message); }
        }
        output.WriteLine($"header sweep: {count} of {headerEnd} header bytes flipped, {loaded} loaded");
        Assert.Equal(0, loaded);
    }
}
