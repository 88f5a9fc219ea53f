namespace SelfSup.Engine;

/// <summary>
/// Dead float arrays kept for reuse, by exact length, up to a byte limit. When a returned array would pass the
/// limit, the arrays of the length asked for least recently go first (to the GC), so a program that moves on to
/// other shapes — a second network, evaluation after training — gets its own working set pooled instead of a pool
/// full of the old shapes. Not thread-safe: <see cref="TensorMemory"/> holds its lock around every call.
/// </summary>
internal sealed class DeadArrayPool(long limitBytes)
{
    sealed class Shelf
    {
        public readonly Stack<float[]> Arrays = new();
        public long LastAsked;                            // request clock of the last Take for this length
    }

    readonly Dictionary<int, Shelf> shelves = [];
    long clock;

    public long LimitBytes { get; set; } = limitBytes;
    public long Bytes { get; private set; }

    /// <summary>A pooled array of exactly <paramref name="length"/> floats, or null.</summary>
    public float[]? Take(int length)
    {
        var shelf = ShelfFor(length);
        shelf.LastAsked = ++clock;
        if (shelf.Arrays.Count == 0) return null;
        Bytes -= 4L * length;
        return shelf.Arrays.Pop();
    }

    /// <summary>Keeps <paramref name="array"/> for reuse, evicting least recently asked lengths to stay in the limit;
    /// the array itself is dropped when its length is the least recently asked.</summary>
    public void Add(float[] array)
    {
        long size = 4L * array.Length;
        if (size > LimitBytes) return;
        var shelf = ShelfFor(array.Length);
        while (Bytes + size > LimitBytes)
        {
            var coldest = Coldest();
            if (coldest is null || coldest.LastAsked >= shelf.LastAsked) return;      // the incoming array is the coldest
            Bytes -= 4L * coldest.Arrays.Pop().Length;
        }
        shelf.Arrays.Push(array);
        Bytes += size;
    }

    Shelf ShelfFor(int length)
    {
        if (!shelves.TryGetValue(length, out var shelf)) shelves[length] = shelf = new Shelf();
        return shelf;
    }

    Shelf? Coldest()
    {
        Shelf? coldest = null;
        foreach (var shelf in shelves.Values)
            if (shelf.Arrays.Count > 0 && (coldest is null || shelf.LastAsked < coldest.LastAsked)) coldest = shelf;
        return coldest;
    }
}
