namespace SelfSup.Engine;

/// <summary>
/// Where tensor storage comes from. PyTorch frees an activation the moment its last reference goes; .NET's
/// GC collects large arrays only in full collections, which it runs lazily, so a training step would leave
/// gigabytes of dead activations and gradients resident. Counting the bytes handed out and running a
/// (cheap: float arrays hold no references to trace) non-compacting full collection every
/// <see cref="CollectEveryBytes"/> keeps the resident set near what is really live.
/// </summary>
public static class TensorMemory
{
    static long allocatedSinceCollect;

    /// <summary>Bytes of tensor storage allocated between forced collections (default 256 MB; 0 disables).</summary>
    public static long CollectEveryBytes { get; set; } =
        long.TryParse(Environment.GetEnvironmentVariable("SELFSUP_GC_EVERY_MB"), out var mb) ? mb << 20 : 256L << 20;

    /// <summary>A float array for tensor storage; zero-filled when <paramref name="zeroed"/>.</summary>
    public static float[] Allocate(int length, bool zeroed)
    {
        if (length >= 1 << 16) Account(4L * length);
        return zeroed ? new float[length] : GC.AllocateUninitializedArray<float>(length);
    }

    static void Account(long bytes)
    {
        long budget = CollectEveryBytes;
        if (budget <= 0) return;
        if (Interlocked.Add(ref allocatedSinceCollect, bytes) < budget) return;
        Interlocked.Exchange(ref allocatedSinceCollect, 0);
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: false);
    }
}
