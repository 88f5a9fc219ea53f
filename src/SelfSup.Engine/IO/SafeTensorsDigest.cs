using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace SelfSup.Engine.IO;

/// <summary>
/// A SHA-256 over everything a safetensors file means: every metadata entry but the one that stores the digest, every
/// tensor's name, dtype, shape and data offsets, and the whole data buffer (gaps and trailing bytes included). A file
/// that stores this digest in its own metadata (<see cref="SafeTensors.Save(string, StateDict, string)"/>) can then
/// be checked on read (<see cref="SafeTensors.LoadWithDigest"/>): an edited step, image size or dtype label changes it
/// as surely as a flipped weight. Only what carries no meaning is left out: the JSON's whitespace, padding, key order
/// and escaping.
/// <para>
/// The header part is hashed in a canonical form rather than as the stored JSON bytes, so the writer need not know
/// how its JSON will be laid out: a tag, the metadata sorted by key, the tensors sorted by name, each string as its
/// UTF-8 length (u64 little-endian) and bytes, each number as u64 little-endian, then the data length and bytes.
/// </para>
/// </summary>
internal sealed class SafeTensorsDigest : IDisposable
{
    const string Tag = "selfsup-safetensors-digest-1";
    readonly IncrementalHash sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    /// <summary>Starts a digest of the header part: <paramref name="metadata"/> without <paramref name="excludedKey"/>,
    /// and <paramref name="entries"/>.</summary>
    public SafeTensorsDigest(IEnumerable<KeyValuePair<string, string>> metadata, string excludedKey, IEnumerable<SafeTensorsEntry> entries, long dataLength)
    {
        String(Tag);
        var kept = metadata.Where(kv => kv.Key != excludedKey).OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();
        Number(kept.Count);
        foreach (var (key, value) in kept) { String(key); String(value); }
        var tensors = entries.OrderBy(e => e.Name, StringComparer.Ordinal).ToList();
        Number(tensors.Count);
        foreach (var e in tensors)
        {
            String(e.Name);
            String(e.DType.ToString());
            Number(e.Shape.Length);
            foreach (var d in e.Shape) Number(d);
            Number(e.Begin);
            Number(e.End);
        }
        Number(dataLength);
    }

    /// <summary>Adds the next bytes of the data buffer.</summary>
    public void Data(ReadOnlySpan<byte> bytes) => sha.AppendData(bytes);

    /// <summary>The digest as 64 lowercase hex digits.</summary>
    public string Finish() => Convert.ToHexStringLower(sha.GetHashAndReset());

    void Number(long value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(b, value);
        sha.AppendData(b);
    }

    void String(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        Number(bytes.Length);
        sha.AppendData(bytes);
    }

    public void Dispose() => sha.Dispose();

    /// <summary>A write-only stream into a digest's data part: the writer hashes the data exactly as it writes it.</summary>
    public sealed class DataStream(SafeTensorsDigest digest) : Stream
    {
        public override void Write(ReadOnlySpan<byte> buffer) => digest.Data(buffer);
        public override void Write(byte[] buffer, int offset, int count) => digest.Data(buffer.AsSpan(offset, count));
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
