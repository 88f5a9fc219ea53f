using System.Buffers.Binary;
using System.Text.Json;

namespace SelfSup.Engine.IO;

/// <summary>One tensor as the header describes it, after validation (offsets relative to the data buffer).</summary>
internal readonly record struct SafeTensorsEntry(string Name, SafeTensorsDType DType, int[] Shape, int Numel, long Begin, long End);

/// <summary>
/// Reads and validates a safetensors header: the 8-byte little-endian size, then the JSON object of
/// tensor entries and optional <c>__metadata__</c>. Every size, shape and offset is checked against the
/// real file length before anything is allocated from it; every violation is an
/// <see cref="InvalidDataException"/> naming the source and the tensor or field.
/// </summary>
internal static class SafeTensorsHeader
{
    /// <summary>Upper bound on the JSON header (the reference implementation's limit).</summary>
    public const long MaxHeaderBytes = 100_000_000;
    public const string MetadataKey = "__metadata__";

    /// <summary>The header size from the first 8 bytes, checked against the file length and the limit.</summary>
    public static int ReadHeaderSize(ReadOnlySpan<byte> fileStart, long fileLength, string source)
    {
        if (fileLength < 8)
            throw new InvalidDataException($"{source}: {fileLength} bytes is too short for a safetensors file (needs at least the 8-byte header size)");
        ulong size = BinaryPrimitives.ReadUInt64LittleEndian(fileStart);
        if (size > (ulong)(fileLength - 8))
            throw new InvalidDataException($"{source}: header size {size} exceeds the {fileLength - 8} bytes after the size field (truncated or not a safetensors file)");
        if (size > MaxHeaderBytes)
            throw new InvalidDataException($"{source}: header size {size} exceeds the {MaxHeaderBytes}-byte limit");
        return (int)size;
    }

    /// <summary>Parses and validates the JSON header against a data buffer of <paramref name="dataLength"/> bytes.</summary>
    public static (List<SafeTensorsEntry> Entries, Dictionary<string, string> Metadata) Parse(byte[] json, long dataLength, string source)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow });
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException)
        {
            throw new InvalidDataException($"{source}: header is not valid JSON: {MessageText.Escape(e.Message, 200)}", e);
        }
        using (doc)
        {
            try
            {
                return ParseRoot(doc.RootElement, dataLength, source);
            }
            catch (InvalidOperationException e)                         // invalid UTF-8 met while reading a string
            {
                throw new InvalidDataException($"{source}: header is not valid UTF-8: {MessageText.Escape(e.Message, 200)}", e);
            }
        }
    }

    static (List<SafeTensorsEntry>, Dictionary<string, string>) ParseRoot(JsonElement root, long dataLength, string source)
    {
        if (root.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{source}: header must be a JSON object, found {root.ValueKind}");
        var entries = new List<SafeTensorsEntry>();
        var metadata = new Dictionary<string, string>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in root.EnumerateObject())
        {
            string name = property.Name;
            if (!names.Add(name))
                throw new InvalidDataException(name == MetadataKey ? $"{source}: header has {MetadataKey} twice" : $"{source}: duplicate tensor name {MessageText.Quote(name)}");
            if (name == MetadataKey) ParseMetadata(property.Value, metadata, source);
            else entries.Add(ParseEntry(name, property.Value, dataLength, source));
        }
        RejectOverlaps(entries, source);
        return (entries, metadata);
    }

    /// <summary>
    /// Tensors may leave gaps but must not share bytes: otherwise a small file could name the same region
    /// many times and make the reader allocate far more than the file holds. (The reference implementation
    /// is stricter still: it requires the entries to tile the buffer exactly.)
    /// </summary>
    static void RejectOverlaps(List<SafeTensorsEntry> entries, string source)
    {
        var byStart = entries.Where(e => e.End > e.Begin).OrderBy(e => e.Begin).ToList();
        for (int i = 1; i < byStart.Count; i++)
        {
            var (before, e) = (byStart[i - 1], byStart[i]);
            if (e.Begin < before.End)
                throw new InvalidDataException($"{source}: tensor {MessageText.Quote(e.Name)} data_offsets [{e.Begin}, {e.End}] overlap tensor {MessageText.Quote(before.Name)} [{before.Begin}, {before.End}]");
        }
    }

    static void ParseMetadata(JsonElement value, Dictionary<string, string> metadata, string source)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{source}: {MetadataKey} must be an object of strings, found {value.ValueKind}");
        foreach (var item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
                throw new InvalidDataException($"{source}: {MetadataKey} entry {MessageText.Quote(item.Name)} must be a string, found {item.Value.ValueKind}");
            if (!metadata.TryAdd(item.Name, item.Value.GetString()!))
                throw new InvalidDataException($"{source}: {MetadataKey} has key {MessageText.Quote(item.Name)} twice");
        }
    }

    static SafeTensorsEntry ParseEntry(string name, JsonElement value, long dataLength, string source)
    {
        string where = $"{source}: tensor {MessageText.Quote(name)}";
        if (value.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{where} must be an object with dtype, shape and data_offsets, found {value.ValueKind}");
        JsonElement? dtypeJson = null, shapeJson = null, offsetsJson = null;
        foreach (var field in value.EnumerateObject())
        {
            switch (field.Name)
            {
                case "dtype" when dtypeJson is null: dtypeJson = field.Value; break;
                case "shape" when shapeJson is null: shapeJson = field.Value; break;
                case "data_offsets" when offsetsJson is null: offsetsJson = field.Value; break;
                case "dtype" or "shape" or "data_offsets": throw new InvalidDataException($"{where} has field {MessageText.Quote(field.Name)} twice");
                default: throw new InvalidDataException($"{where} has unknown field {MessageText.Quote(field.Name)}");
            }
        }

        if (dtypeJson is not { } dt) throw new InvalidDataException($"{where} has no dtype");
        if (dt.ValueKind != JsonValueKind.String) throw new InvalidDataException($"{where} dtype must be a string, found {dt.ValueKind}");
        string dtypeText = dt.GetString()!;
        if (!SafeTensorsDTypes.TryParse(dtypeText, out var dtype))
            throw new InvalidDataException($"{where} has unsupported dtype {MessageText.Quote(dtypeText)} (supported: {SafeTensorsDTypes.Supported})");

        if (shapeJson is not { } sh) throw new InvalidDataException($"{where} has no shape");
        var (shape, numel) = ParseShape(sh, where);

        if (offsetsJson is not { } off) throw new InvalidDataException($"{where} has no data_offsets");
        if (off.ValueKind != JsonValueKind.Array || off.GetArrayLength() != 2
            || !off[0].TryGetUInt64(out ulong begin) || !off[1].TryGetUInt64(out ulong end))
            throw new InvalidDataException($"{where} data_offsets must be two non-negative integers [begin, end], found {MessageText.Escape(off.GetRawText())}");
        if (begin > end)
            throw new InvalidDataException($"{where} data_offsets [{begin}, {end}] are reversed (begin > end)");
        if (end > (ulong)dataLength)
            throw new InvalidDataException($"{where} data_offsets [{begin}, {end}] exceed the {dataLength}-byte data buffer");
        long expected = (long)numel * SafeTensorsDTypes.Size(dtype);
        if ((long)(end - begin) != expected)
            throw new InvalidDataException($"{where} data_offsets [{begin}, {end}] hold {end - begin} bytes, but shape {ShapeUtil.Format(shape)} of {dtype} needs {expected}");
        return new SafeTensorsEntry(name, dtype, shape, numel, (long)begin, (long)end);
    }

    static (int[] Shape, int Numel) ParseShape(JsonElement sh, string where)
    {
        if (sh.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"{where} shape must be an array of non-negative integers, found {sh.ValueKind}");
        var shape = new int[sh.GetArrayLength()];
        bool hasZero = false;
        int d = 0;
        foreach (var dim in sh.EnumerateArray())
        {
            if (!dim.TryGetInt64(out long v) || v < 0)
                throw new InvalidDataException($"{where} shape {MessageText.Escape(sh.GetRawText())} must hold non-negative integers");
            if (v > int.MaxValue)
                throw new InvalidDataException($"{where} shape {MessageText.Escape(sh.GetRawText())} has a dimension above {int.MaxValue}");
            shape[d++] = (int)v;
            hasZero |= v == 0;
        }
        if (hasZero) return (shape, 0);
        long numel = 1;
        foreach (var v in shape)
        {
            numel *= v;                                                  // both ≤ 2^31 − 1: no long overflow
            if (numel > int.MaxValue)
                throw new InvalidDataException($"{where} shape {MessageText.Escape(sh.GetRawText())} has more than {int.MaxValue} elements");
        }
        return (shape, (int)numel);
    }
}
