namespace SelfSup.Vision;

/// <summary>
/// Keeps decoded images of another dataset in memory, up to a byte budget: an image is kept the first time it
/// is read while the budget allows, and then served from memory. Nothing is evicted: with a fresh random order
/// every epoch, any fixed subset saves as many decodes as an LRU would, without its bookkeeping.
/// Served images are shared: callers must treat them as read-only (as <see cref="IImageDataset"/> says).
/// </summary>
public sealed class CachedDataset : IImageDataset
{
    readonly IImageDataset inner;
    readonly RawImage?[] slots;
    long usedBytes;

    public CachedDataset(IImageDataset inner, long budgetBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(budgetBytes);
        this.inner = inner;
        slots = new RawImage?[inner.Count];
        BudgetBytes = budgetBytes;
    }

    /// <summary><paramref name="data"/> itself when it already lives in memory, else a cache of it.</summary>
    public static IImageDataset Over(IImageDataset data, long budgetBytes) =>
        data is InMemoryDataset or CachedDataset ? data : new CachedDataset(data, budgetBytes);

    public long BudgetBytes { get; }
    /// <summary>Bytes of pixels held now (never above <see cref="BudgetBytes"/>).</summary>
    public long CachedBytes => Interlocked.Read(ref usedBytes);
    /// <summary>How many images are held now.</summary>
    public int CachedCount => slots.Count(s => s is not null);

    public string Name => inner.Name;
    public int Count => inner.Count;
    public IReadOnlyList<string> ClassNames => inner.ClassNames;
    public int Label(int index) => inner.Label(index);
    public string Describe(int index) => inner.Describe(index);
    public ImageShape Shape(int index) => inner.Shape(index);            // as stored: a cached image may be a reduced decode

    public RawImage Image(int index)
    {
        var cached = Volatile.Read(ref slots[index]);
        if (cached is not null) return cached;
        var image = inner.Image(index);
        long size = image.Pixels.Length;
        if (Interlocked.Add(ref usedBytes, size) <= BudgetBytes)
        {
            var winner = Interlocked.CompareExchange(ref slots[index], image, null);
            if (winner is null) return image;
            Interlocked.Add(ref usedBytes, -size);          // another thread stored it first
            return winner;
        }
        Interlocked.Add(ref usedBytes, -size);
        return image;
    }
}
