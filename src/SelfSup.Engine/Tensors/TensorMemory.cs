namespace SelfSup.Engine;

/// <summary>
/// The float array behind a tensor and its views. Storage that <see cref="TensorMemory"/> handed out goes
/// back to its pool when the GC finds it unreachable (a finalizer), instead of back to the OS.
/// </summary>
public sealed class TensorStorage
{
    static long nextSerial;

    public float[] Array { get; }
    /// <summary>Came from <see cref="TensorMemory"/>'s pool and goes back to it.</summary>
    internal bool IsPooled { get; }
    /// <summary>Creation order: autograd recycles only buffers created during the backward pass it runs.</summary>
    internal long Serial { get; } = Interlocked.Increment(ref nextSerial);
    /// <summary>Already handed back explicitly (the finalizer must not return it twice).</summary>
    internal bool Recycled { get; set; }

    internal static long CurrentSerial => Interlocked.Read(ref nextSerial);

    /// <summary>Wraps an array the caller owns; never recycled.</summary>
    public TensorStorage(float[] array) { Array = array; GC.SuppressFinalize(this); }

    internal TensorStorage(float[] array, bool pooled)
    {
        Array = array; IsPooled = pooled;
        if (!pooled) GC.SuppressFinalize(this);
    }

    ~TensorStorage()
    {
        if (IsPooled && !Recycled) TensorMemory.Return(Array);
    }
}

/// <summary>
/// Where tensor storage comes from. PyTorch frees an activation the moment its last reference goes and its
/// allocator reuses the memory; .NET's GC collects large arrays lazily and hands their pages back to the OS,
/// so every training step would fault its whole working set in again (on this VM a fault costs ~10 µs per
/// 4 KB page: a quarter of a small network's step). So:
/// <list type="bullet">
/// <item>large storage comes from a pool of dead arrays of the exact same length (a training step asks for
/// the same shapes every step), filled by <see cref="TensorStorage"/>'s finalizer;</item>
/// <item>every <see cref="CollectEveryBytes"/> of storage handed out (new or reused) a full, non-compacting
/// collection runs, so dead activations are found promptly — cheap, since float arrays hold no references;</item>
/// <item>an array found dead waits one such period in quarantine before it is handed out again, so a kernel
/// still reading a temporary's raw array while the temporary itself became unreachable cannot see it reused.</item>
/// </list>
/// </summary>
public static class TensorMemory
{
    const int PooledMinLength = 1 << 14;                 // 64 KB: smaller arrays are cheap for the GC
    static readonly object gate = new();
    static readonly Dictionary<int, Stack<float[]>> available = [];
    static List<float[]> quarantine = [];
    static long availableBytes, allocatedSinceCollect;

    /// <summary>Bytes of storage handed out between forced collections (default 64 MB; 0 disables pooling and collections).</summary>
    public static long CollectEveryBytes { get; set; } =
        long.TryParse(Environment.GetEnvironmentVariable("SELFSUP_GC_EVERY_MB"), out var mb) ? mb << 20 : 64L << 20;

    /// <summary>Most bytes of dead arrays kept for reuse (default 1 GB); beyond it the GC frees them.</summary>
    public static long PoolLimitBytes { get; set; } = 1L << 30;

    /// <summary>Storage for <paramref name="length"/> floats, zero-filled when <paramref name="zeroed"/>.</summary>
    public static TensorStorage Allocate(int length, bool zeroed)
    {
        if (length < PooledMinLength || CollectEveryBytes <= 0)
            return new TensorStorage(zeroed ? new float[length] : GC.AllocateUninitializedArray<float>(length), pooled: false);
        Account(4L * length);
        var reused = TakeFromPool(length);
        if (reused is not null)
        {
            if (zeroed) System.Array.Clear(reused);
            return new TensorStorage(reused, pooled: true);
        }
        return new TensorStorage(zeroed ? new float[length] : GC.AllocateUninitializedArray<float>(length), pooled: true);
    }

    /// <summary>Dead arrays currently kept for reuse, in bytes.</summary>
    public static long PooledBytes { get { lock (gate) return availableBytes; } }

    static float[]? TakeFromPool(int length)
    {
        lock (gate)
        {
            if (!available.TryGetValue(length, out var stack) || stack.Count == 0) return null;
            availableBytes -= 4L * length;
            return stack.Pop();
        }
    }

    /// <summary>
    /// Hands back storage its owner knows to be dead (autograd's consumed gradient buffers): reusable at once,
    /// no collection needed. Every tensor over it must be unused from now on.
    /// </summary>
    internal static void Recycle(TensorStorage storage)
    {
        if (!storage.IsPooled || storage.Recycled) return;
        storage.Recycled = true;
        lock (gate) MakeAvailable(storage.Array);
    }

    /// <summary>Called by the finalizer of pooled storage: the array waits in quarantine until the next collection.</summary>
    internal static void Return(float[] array)
    {
        lock (gate) quarantine.Add(array);
    }

    static void Account(long bytes)
    {
        if (Interlocked.Add(ref allocatedSinceCollect, bytes) < CollectEveryBytes) return;
        Interlocked.Exchange(ref allocatedSinceCollect, 0);
        CollectNow();
    }

    /// <summary>One cycle: quarantined arrays become reusable, then a full collection finds newly dead storage.</summary>
    internal static void CollectNow()
    {
        ReleaseQuarantine();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: false);
        GC.WaitForPendingFinalizers();                   // dead storage is now in quarantine
    }

    static void ReleaseQuarantine()
    {
        lock (gate)
        {
            foreach (var array in quarantine) MakeAvailable(array);
            quarantine = [];
        }
    }

    static void MakeAvailable(float[] array)
    {
        if (availableBytes + 4L * array.Length > PoolLimitBytes) return;     // let the GC have it
        if (!available.TryGetValue(array.Length, out var stack)) available[array.Length] = stack = new Stack<float[]>();
        stack.Push(array);
        availableBytes += 4L * array.Length;
    }
}
