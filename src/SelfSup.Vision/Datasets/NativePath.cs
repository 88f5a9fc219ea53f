using System.Text;

namespace SelfSup.Vision;

/// <summary>
/// A path as Linux stores it: bytes, which need not be UTF-8. .NET turns a name it cannot decode into U+FFFD, and that
/// string then names no file, so a folder dataset keeps the bytes (to open the file) and shows <see cref="Display"/>
/// (in messages, reports and embeddings): the name with every byte that is not valid UTF-8, every control character and
/// the backslash written as an escape (<c>caf\xe9.jpg</c>, as <c>ls -b</c> and Python's backslashreplace do).
/// Paths sort by their bytes, which is Unicode code point order for UTF-8 names (what Python's <c>sorted</c> gives).
/// </summary>
public sealed class NativePath : IComparable<NativePath>, IEquatable<NativePath>
{
    readonly byte[] bytes;
    string? display;

    NativePath(byte[] bytes) => this.bytes = bytes;

    /// <summary>A path given as text (a command-line argument), encoded as UTF-8.</summary>
    public NativePath(string path) : this(Encoding.UTF8.GetBytes(path)) { }

    /// <summary>A relative path (a name) from its bytes.</summary>
    public static NativePath Relative(ReadOnlySpan<byte> name) => new(name.ToArray());

    /// <summary>The path's bytes, without a terminating NUL.</summary>
    public ReadOnlySpan<byte> Bytes => bytes;

    /// <summary>The last component's bytes.</summary>
    public ReadOnlySpan<byte> FileName => bytes.AsSpan(bytes.AsSpan().LastIndexOf((byte)'/') + 1);

    /// <summary>The path for people: UTF-8 decoded, undecodable bytes and control characters as <c>\xNN</c>.</summary>
    public string Display => display ??= Escape(bytes);

    /// <summary>This folder's entry <paramref name="name"/> (one component, no '/').</summary>
    public NativePath Child(ReadOnlySpan<byte> name)
    {
        bool slash = bytes.Length > 0 && bytes[^1] == (byte)'/';
        var joined = new byte[bytes.Length + (slash ? 0 : 1) + name.Length];
        bytes.CopyTo(joined, 0);
        if (!slash) joined[bytes.Length] = (byte)'/';
        name.CopyTo(joined.AsSpan(joined.Length - name.Length));
        return new NativePath(joined);
    }

    /// <summary>The bytes NUL-terminated, for the C library.</summary>
    internal byte[] ToCString()
    {
        if (bytes.AsSpan().Contains((byte)0)) throw new ArgumentException($"{Display}: a path cannot hold a NUL byte");
        var c = new byte[bytes.Length + 1];
        bytes.CopyTo(c, 0);
        return c;
    }

    /// <summary>Text for <paramref name="name"/>: valid UTF-8 decoded; other bytes, C0 controls, DEL and '\' escaped.</summary>
    public static string Escape(ReadOnlySpan<byte> name)
    {
        var text = new StringBuilder(name.Length);
        while (!name.IsEmpty)
        {
            var status = Rune.DecodeFromUtf8(name, out var rune, out int used);
            if (status != System.Buffers.OperationStatus.Done) { text.Append($"\\x{name[0]:x2}"); name = name[1..]; continue; }
            if (rune.Value is < 0x20 or 0x7F) text.Append($"\\x{rune.Value:x2}");
            else if (rune.Value == '\\') text.Append(@"\\");
            else text.Append(rune.ToString());
            name = name[used..];
        }
        return text.ToString();
    }

    public int CompareTo(NativePath? other) => other is null ? 1 : bytes.AsSpan().SequenceCompareTo(other.bytes);
    public bool Equals(NativePath? other) => other is not null && bytes.AsSpan().SequenceEqual(other.bytes);
    public override bool Equals(object? obj) => Equals(obj as NativePath);
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(bytes);
        return hash.ToHashCode();
    }
    public override string ToString() => Display;
}
