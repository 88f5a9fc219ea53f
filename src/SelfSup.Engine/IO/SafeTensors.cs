using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace SelfSup.Engine.IO;

/// <summary>
/// Hugging Face safetensors files: an 8-byte little-endian header size N, N bytes of UTF-8 JSON
/// (<c>{"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {string: string}}</c>,
/// offsets relative to the data buffer), then the row-major little-endian data. Float tensors are written
/// as F32 and integer tensors as I64; reading also accepts F16, BF16, F64 (to float) and I32, I16, I8,
/// U8, BOOL (to int). Reading validates everything first and reports a malformed file as an
/// <see cref="InvalidDataException"/> naming the file and the tensor; saving is atomic.
/// </summary>
public static class SafeTensors
{
    /// <summary>
    /// Writes <paramref name="state"/> to <paramref name="path"/> atomically (<see cref="AtomicFile"/>).
    /// </summary>
    public static void Save(string path, StateDict state) => AtomicFile.Write(path, stream => Write(stream, state));

    /// <summary>
    /// Writes <paramref name="state"/> atomically with its <see cref="SafeTensorsDigest"/> (SHA-256 of the whole
    /// file's meaning) stored as the metadata entry <paramref name="digestKey"/>; <see cref="LoadWithDigest"/> recomputes it.
    /// </summary>
    public static void Save(string path, StateDict state, string digestKey) =>
        AtomicFile.Write(path, stream => Write(stream, state, digestKey));

    /// <summary>The bytes of a safetensors file holding <paramref name="state"/>.</summary>
    public static byte[] Serialize(StateDict state)
    {
        using var memory = new MemoryStream();
        Write(memory, state);
        return memory.ToArray();
    }

    /// <summary>
    /// Writes the header (padded with spaces so the data starts at a multiple of 8), then each tensor's data in
    /// state-dict order. With <paramref name="digestKey"/>, the metadata also gets that entry, the digest of everything
    /// else (see <see cref="SafeTensorsDigest"/>). Throws <see cref="ArgumentException"/> before writing anything for
    /// a name that would collide with <c>__metadata__</c>.
    /// </summary>
    public static void Write(Stream stream, StateDict state, string? digestKey = null)
    {
        var entries = Layout(state);
        var metadata = state.Metadata.Where(kv => kv.Key != digestKey).ToList();
        if (digestKey is not null)
        {
            using var digest = new SafeTensorsDigest(metadata, digestKey, entries, entries.Count == 0 ? 0 : entries[^1].End);
            WriteData(new SafeTensorsDigest.DataStream(digest), state);
            metadata.Add(new(digestKey, digest.Finish()));
        }
        var header = BuildHeader(entries, metadata);
        Span<byte> size = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(size, (ulong)header.Length);
        stream.Write(size);
        stream.Write(header);
        WriteData(stream, state);
    }

    static void WriteData(Stream stream, StateDict state)
    {
        foreach (var (_, entry) in state)
        {
            if (entry.Float is { } f) WriteFloats(stream, f.IsContiguous ? f.Span : f.Detach().ToArray());
            else WriteInt64s(stream, entry.Int!.Data);
        }
    }

    /// <summary>Where each tensor goes: float tensors as F32, integer ones as I64, back to back in state-dict order.</summary>
    static List<SafeTensorsEntry> Layout(StateDict state)
    {
        var entries = new List<SafeTensorsEntry>();
        long offset = 0;
        foreach (var (name, entry) in state)
        {
            if (name == SafeTensorsHeader.MetadataKey)
                throw new ArgumentException($"a tensor cannot be called '{SafeTensorsHeader.MetadataKey}' in a safetensors file");
            bool isFloat = entry.Float is not null;
            int numel = isFloat ? entry.Float!.Numel : entry.Int!.Numel;
            long bytes = (long)numel * (isFloat ? 4 : 8);
            entries.Add(new SafeTensorsEntry(name, isFloat ? SafeTensorsDType.F32 : SafeTensorsDType.I64, entry.Shape, numel, offset, offset + bytes));
            offset += bytes;
        }
        return entries;
    }

    static byte[] BuildHeader(List<SafeTensorsEntry> entries, List<KeyValuePair<string, string>> metadata)
    {
        var json = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(json, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            if (metadata.Count > 0)
            {
                w.WriteStartObject(SafeTensorsHeader.MetadataKey);
                foreach (var (key, value) in metadata) w.WriteString(key, value);
                w.WriteEndObject();
            }
            foreach (var e in entries)
            {
                w.WriteStartObject(e.Name);
                w.WriteString("dtype", e.DType.ToString());
                w.WriteStartArray("shape");
                foreach (var d in e.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(e.Begin);
                w.WriteNumberValue(e.End);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        int padded = (json.WrittenCount + 7) / 8 * 8;
        var header = new byte[padded];
        json.WrittenSpan.CopyTo(header);
        header.AsSpan(json.WrittenCount).Fill((byte)' ');
        return header;
    }

    static void WriteFloats(Stream stream, ReadOnlySpan<float> values)
    {
        if (BitConverter.IsLittleEndian) { stream.Write(MemoryMarshal.AsBytes(values)); return; }
        Span<byte> buffer = stackalloc byte[4];
        foreach (var v in values) { BinaryPrimitives.WriteSingleLittleEndian(buffer, v); stream.Write(buffer); }
    }

    static void WriteInt64s(Stream stream, ReadOnlySpan<int> values)
    {
        Span<byte> buffer = stackalloc byte[8 * 512];
        for (int start = 0; start < values.Length; start += 512)
        {
            int n = Math.Min(512, values.Length - start);
            for (int i = 0; i < n; i++) BinaryPrimitives.WriteInt64LittleEndian(buffer[(8 * i)..], values[start + i]);
            stream.Write(buffer[..(8 * n)]);
        }
    }

    /// <summary>Reads a safetensors file, reading each tensor straight from the file after the header has been validated.</summary>
    public static StateDict Load(string path) => Read(path, digestKey: null).State;

    /// <summary>
    /// Reads a safetensors file as <see cref="Load"/> does and recomputes its <see cref="SafeTensorsDigest"/>, leaving
    /// out the metadata entry <paramref name="digestKey"/> (which the caller compares with the result). Everything
    /// comes from one open handle, so a file replaced meanwhile (an atomic save by a running trainer) cannot mix two
    /// versions.
    /// </summary>
    public static (StateDict State, string Digest) LoadWithDigest(string path, string digestKey)
    {
        var (state, digest) = Read(path, digestKey);
        return (state, digest!);
    }

    static (StateDict State, string? Digest) Read(string path, string? digestKey)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        long length = file.Length;
        Span<byte> start = stackalloc byte[8];
        if (length >= 8) file.ReadExactly(start);
        int headerSize = SafeTensorsHeader.ReadHeaderSize(start, length, path);
        var json = new byte[headerSize];
        file.ReadExactly(json);
        long dataStart = 8 + (long)headerSize;
        var (entries, metadata) = SafeTensorsHeader.Parse(json, length - dataStart, path);
        string? digest = digestKey is null ? null : Digest(file, metadata, digestKey, entries, length - dataStart);

        var state = NewState(metadata);
        foreach (var e in entries)
        {
            file.Position = dataStart + e.Begin;
            if (e.DType == SafeTensorsDType.F32 && BitConverter.IsLittleEndian)
            {
                var values = new float[e.Numel];                  // numel·4 ≤ file length, checked by the header parser
                file.ReadExactly(MemoryMarshal.AsBytes(values.AsSpan()));
                state.Add(e.Name, Tensor.From(values, e.Shape));
                continue;
            }
            var raw = new byte[e.End - e.Begin];
            file.ReadExactly(raw);
            Add(state, e, raw, path);
        }
        return (state, digest);
    }

    /// <summary>The digest of the header part and of the data buffer, read in 1-MB pieces from the file's position on.</summary>
    static string Digest(FileStream file, Dictionary<string, string> metadata, string digestKey, List<SafeTensorsEntry> entries, long dataLength)
    {
        using var digest = new SafeTensorsDigest(metadata, digestKey, entries, dataLength);
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            for (long left = dataLength; left > 0;)
            {
                int n = file.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
                if (n == 0) throw new EndOfStreamException($"{file.Name}: the file ended while it was read (changed meanwhile?)");
                digest.Data(buffer.AsSpan(0, n));
                left -= n;
            }
        }
        finally { ArrayPool<byte>.Shared.Return(buffer); }
        return digest.Finish();
    }

    /// <summary>Reads safetensors bytes; <paramref name="sourceName"/> names them in error messages.</summary>
    public static StateDict Deserialize(ReadOnlySpan<byte> bytes, string sourceName)
    {
        int headerSize = SafeTensorsHeader.ReadHeaderSize(bytes, bytes.Length, sourceName);
        var data = bytes[(8 + headerSize)..];
        var (entries, metadata) = SafeTensorsHeader.Parse(bytes.Slice(8, headerSize).ToArray(), data.Length, sourceName);
        var state = NewState(metadata);
        foreach (var e in entries) Add(state, e, data[(int)e.Begin..(int)e.End], sourceName);
        return state;
    }

    static StateDict NewState(Dictionary<string, string> metadata)
    {
        var state = new StateDict();
        foreach (var (k, v) in metadata) state.Metadata[k] = v;
        return state;
    }

    static void Add(StateDict state, SafeTensorsEntry e, ReadOnlySpan<byte> raw, string source)
    {
        if (SafeTensorsDTypes.IsFloat(e.DType))
        {
            var values = new float[e.Numel];
            SafeTensorsDTypes.DecodeFloat(e.DType, raw, values);
            state.Add(e.Name, Tensor.From(values, e.Shape));
            return;
        }
        var ints = new int[e.Numel];
        int bad = SafeTensorsDTypes.DecodeInt(e.DType, raw, ints);
        if (bad >= 0)
        {
            string value = e.DType == SafeTensorsDType.I64 ? BinaryPrimitives.ReadInt64LittleEndian(raw[(8 * bad)..]).ToString() : raw[bad].ToString();
            string range = e.DType == SafeTensorsDType.I64 ? "the int32 range" : "{0, 1}";
            throw new InvalidDataException($"{source}: tensor {MessageText.Quote(e.Name)} element {bad} = {value} is outside {range}");
        }
        state.Add(e.Name, new IntTensor(ints, e.Shape));
    }
}
