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

    /// <summary>The bytes of a safetensors file holding <paramref name="state"/>.</summary>
    public static byte[] Serialize(StateDict state)
    {
        using var memory = new MemoryStream();
        Write(memory, state);
        return memory.ToArray();
    }

    /// <summary>
    /// Writes the header (padded with spaces so the data starts at a multiple of 8), then each tensor's data in
    /// state-dict order. Throws <see cref="ArgumentException"/> before writing anything for a name that would
    /// collide with <c>__metadata__</c>.
    /// </summary>
    public static void Write(Stream stream, StateDict state)
    {
        var header = BuildHeader(state);
        Span<byte> size = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(size, (ulong)header.Length);
        stream.Write(size);
        stream.Write(header);
        foreach (var (_, entry) in state)
        {
            if (entry.Float is { } f) WriteFloats(stream, f.IsContiguous ? f.Span : f.Detach().ToArray());
            else WriteInt64s(stream, entry.Int!.Data);
        }
    }

    static byte[] BuildHeader(StateDict state)
    {
        var json = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(json, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            if (state.Metadata.Count > 0)
            {
                w.WriteStartObject(SafeTensorsHeader.MetadataKey);
                foreach (var (key, value) in state.Metadata) w.WriteString(key, value);
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, entry) in state)
            {
                if (name == SafeTensorsHeader.MetadataKey)
                    throw new ArgumentException($"a tensor cannot be called '{SafeTensorsHeader.MetadataKey}' in a safetensors file");
                bool isFloat = entry.Float is not null;
                long bytes = (long)(isFloat ? entry.Float!.Numel : entry.Int!.Numel) * (isFloat ? 4 : 8);
                w.WriteStartObject(name);
                w.WriteString("dtype", isFloat ? "F32" : "I64");
                w.WriteStartArray("shape");
                foreach (var d in entry.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + bytes);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += bytes;
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
    public static StateDict Load(string path)
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
        return state;
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
            throw new InvalidDataException($"{source}: tensor '{e.Name}' element {bad} = {value} is outside {range}");
        }
        state.Add(e.Name, new IntTensor(ints, e.Shape));
    }
}
