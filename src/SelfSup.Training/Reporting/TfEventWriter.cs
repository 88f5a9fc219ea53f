using System.Buffers.Binary;

namespace SelfSup.Training;

/// <summary>
/// Writes a TensorBoard event file (`events.out.tfevents.UNIXTIME.HOST`) of scalar summaries, without TensorFlow.
/// The file is a TFRecord stream: per record uint64 length, masked CRC-32C of those 8 bytes, the data, masked CRC-32C
/// of the data. Each record is a serialized tensorflow.Event: wall_time (1, double), step (2, int64),
/// file_version (3, "brain.Event:2", first record only) or summary (5) holding Summary.Value {tag (1), simple_value (2)}.
/// </summary>
public sealed class TfEventWriter : IDisposable
{
    readonly FileStream file;

    /// <summary>The event file's path.</summary>
    public string Path { get; }

    /// <summary>Creates a new event file in <paramref name="directory"/> and writes its file-version record.</summary>
    public TfEventWriter(string directory)
    {
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        string host = Environment.MachineName;
        Path = System.IO.Path.Combine(directory, $"events.out.tfevents.{now}.{host}");
        for (int n = 1; File.Exists(Path); n++)                       // a second writer in the same second
            Path = System.IO.Path.Combine(directory, $"events.out.tfevents.{now}.{host}.{n}");
        file = new FileStream(Path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, 1 << 16);
        Write(new ProtoWriter().Double(1, WallTime()).Int64(2, 0).String(3, "brain.Event:2"));
        Flush();
    }

    static double WallTime() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;

    /// <summary>Appends one scalar (a line point in TensorBoard's Scalars tab).</summary>
    public void Scalar(string tag, long step, double value) => Scalars(step, [(tag, value)]);

    /// <summary>Appends several scalars of one step as one event.</summary>
    public void Scalars(long step, IEnumerable<(string Tag, double Value)> values)
    {
        var summary = new ProtoWriter();
        foreach (var (tag, value) in values)
            summary.Message(1, new ProtoWriter().String(1, tag).Float(2, (float)value));
        Write(new ProtoWriter().Double(1, WallTime()).Int64(2, step).Message(5, summary));
    }

    void Write(ProtoWriter evt)
    {
        var data = evt.ToArray();
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], Crc32C.Masked(header[..8]));
        Span<byte> footer = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(footer, Crc32C.Masked(data));
        file.Write(header);
        file.Write(data);
        file.Write(footer);
    }

    /// <summary>Pushes buffered records to the file (TensorBoard sees them from then on).</summary>
    public void Flush() => file.Flush(flushToDisk: false);

    public void Dispose() => file.Dispose();
}
