using System.Runtime.InteropServices;

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
    /// <summary>A short weak handle on <see cref="Array"/>: a full collection clears it when nothing but this (dead)
    /// storage still reaches the array, before the finalizer runs — the proof that no span, pinned pointer or local
    /// of some running method still uses it.</summary>
    GCHandle arrayProbe;

    internal static long CurrentSerial => Interlocked.Read(ref nextSerial);

    /// <summary>Wraps an array the caller owns; never recycled.</summary>
    public TensorStorage(float[] array) { Array = array; GC.SuppressFinalize(this); }

    internal TensorStorage(float[] array, bool pooled)
    {
        Array = array; IsPooled = pooled;
        if (pooled) arrayProbe = GCHandle.Alloc(array, GCHandleType.Weak);
        else GC.SuppressFinalize(this);
    }

    ~TensorStorage()
    {
        if (Recycled) { arrayProbe.Free(); return; }
        if (arrayProbe.Target is not null)
        {
            // Something still reached the array at this collection (or the collection did not look at the array's
            // generation): ask again at the next one.
            GC.ReRegisterForFinalize(this);
            return;
        }
        arrayProbe.Free();
        TensorMemory.Return(Array);
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
/// <item>a dead storage hands its array back only when the collection proved the array itself unreachable (its weak
/// handle was cleared), so a kernel still reading a temporary's raw array after the temporary became unreachable
/// cannot see it reused; an array still in use waits for the next collection.</item>
/// </list>
/// </summary>
public static class TensorMemory
{
    const int PooledMinLength = 1 << 14;                 // 64 KB: smaller arrays are cheap for the GC
    static readonly object gate = new();
    static readonly DeadArrayPool pool = new(1L << 30);
    static long allocatedSinceCollect;

    /// <summary>Bytes of storage handed out between forced collections (default 64 MB; 0 disables pooling and collections).</summary>
    public static long CollectEveryBytes { get; set; } =
        long.TryParse(Environment.GetEnvironmentVariable("SELFSUP_GC_EVERY_MB"), out var mb) ? mb << 20 : 64L << 20;

    /// <summary>Most bytes of dead arrays kept for reuse (default 1 GB); beyond it the lengths asked for least recently
    /// go to the GC.</summary>
    public static long PoolLimitBytes
    {
        get { lock (gate) return pool.LimitBytes; }
        set { lock (gate) pool.LimitBytes = value; }
    }

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
    public static long PooledBytes { get { lock (gate) return pool.Bytes; } }

    static float[]? TakeFromPool(int length)
    {
        lock (gate) return pool.Take(length);
    }

    /// <summary>
    /// Hands back storage its owner knows to be dead (autograd's consumed gradient buffers): reusable at once,
    /// no collection needed. Every tensor over it must be unused from now on.
    /// </summary>
    internal static void Recycle(TensorStorage storage)
    {
        if (!storage.IsPooled || storage.Recycled) return;
        storage.Recycled = true;
        lock (gate) pool.Add(storage.Array);
    }

    /// <summary>Called by the finalizer of pooled storage once its array is unreachable: reusable at once.</summary>
    internal static void Return(float[] array)
    {
        lock (gate) pool.Add(array);
    }

    static void Account(long bytes)
    {
        if (Interlocked.Add(ref allocatedSinceCollect, bytes) < CollectEveryBytes) return;
        Interlocked.Exchange(ref allocatedSinceCollect, 0);
        CollectNow();
    }

    /// <summary>A full collection: the arrays of storage that died since the last one become reusable.</summary>
    internal static void CollectNow()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: false);
        GC.WaitForPendingFinalizers();                   // dead storage has handed its unreachable arrays back
    }
}
