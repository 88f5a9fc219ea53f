namespace SelfSup.Engine.Kernels;

/// <summary>
/// Splits long element-wise work into one contiguous chunk per worker thread. Short spans run inline:
/// below <see cref="MinLength"/> elements the hand-off costs more than it saves.
/// </summary>
public static unsafe class ParallelSpans
{
    public const int MinLength = 1 << 15;

    public delegate void Map1(ReadOnlySpan<float> x, Span<float> y);
    public delegate void Map2(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y);

    /// <summary>body(x[chunk], y[chunk]) over equal-length spans.</summary>
    public static void For(ReadOnlySpan<float> x, Span<float> y, Map1 body)
    {
        int chunks = ChunkCount(y.Length);
        if (chunks == 1) { body(x, y); return; }
        fixed (float* px = x, py = y)
        {
            nint ax = (nint)px, ay = (nint)py;
            int length = y.Length;
            Workers.For(chunks, c =>
            {
                var (start, count) = Range(c, chunks, length);
                body(new ReadOnlySpan<float>((float*)ax + start, count), new Span<float>((float*)ay + start, count));
            });
        }
    }

    /// <summary>body(a[chunk], b[chunk], y[chunk]) over equal-length spans.</summary>
    public static void For(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y, Map2 body)
    {
        int chunks = ChunkCount(y.Length);
        if (chunks == 1) { body(a, b, y); return; }
        fixed (float* pa = a, pb = b, py = y)
        {
            nint aa = (nint)pa, ab = (nint)pb, ay = (nint)py;
            int length = y.Length;
            Workers.For(chunks, c =>
            {
                var (start, count) = Range(c, chunks, length);
                body(new ReadOnlySpan<float>((float*)aa + start, count), new ReadOnlySpan<float>((float*)ab + start, count),
                     new Span<float>((float*)ay + start, count));
            });
        }
    }

    static int ChunkCount(int length) => length < MinLength ? 1 : Math.Max(1, Math.Min(Workers.Threads, length / (MinLength / 2)));

    /// <summary>Chunk c of n over length elements, boundaries on multiples of 16 floats (one cache line).</summary>
    static (int start, int count) Range(int c, int n, int length)
    {
        long per = ((long)length + n - 1) / n;
        per = (per + 15) & ~15L;
        int start = (int)Math.Min(length, c * per);
        int end = (int)Math.Min(length, (c + 1) * per);
        return (start, end - start);
    }
}
