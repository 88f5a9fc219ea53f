using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SelfSup.Engine.Kernels;

/// <summary>
/// The zero-bordered layout the direct 3×3 convolution reads (<see cref="ConvDirect3x3"/>): the Oh×Ow planes of a
/// chunk of images are stacked per channel with ONE zero row above each image and ONE zero column after each row,
/// so that row stride Wp = Ow + 1 and the zero column of row y is also the left border of row y + 1. Every tap
/// (dy, dx) ∈ {−1, 0, 1}² of every grid position is then the same flat shift dy·Wp + dx, with no masks. Grid
/// position g = i·ImageStride + y·Wp + x (image i of the chunk, row y, column x); positions with x = Ow or y = Oh
/// are border (zero in the inputs, garbage in outputs and never copied out).
/// </summary>
internal readonly struct ConvDirectGrid
{
    /// <summary>Floats before grid position 0 of a channel: one border row plus a little slack.</summary>
    private const int Lead = 16;

    public readonly int Oh, Ow, Wp, ImageStride, Images;

    /// <summary>Grid positions computed per chunk: Images·ImageStride rounded up to 48 (the micro-kernel's width).</summary>
    public readonly int GridPad;

    /// <summary>Floats per channel: lead, the padded grid, a border row and slack for the last 48-wide loads.</summary>
    public readonly int ChanStride;

    public ConvDirectGrid(int oh, int ow, int images)
    {
        Oh = oh;
        Ow = ow;
        Wp = ow + 1;
        ImageStride = (oh + 1) * Wp;
        Images = images;
        GridPad = (images * ImageStride + 47) / 48 * 48;
        ChanStride = (GridBase + GridPad + Wp + 1 + 63) / 16 * 16;
    }

    /// <summary>Offset of grid position 0 within a channel.</summary>
    public int GridBase => Lead + Wp;

    /// <summary>Grid positions holding the first <paramref name="count"/> images (rows and borders).</summary>
    public int Length(int count) => count * ImageStride;

    /// <summary>Grid position of (image i, row y, column 0).</summary>
    public int Row(int i, int y) => i * ImageStride + y * Wp;

    /// <summary>Flat shift of the tap (dy, dx).</summary>
    public int Shift(int dy, int dx) => dy * Wp + dx;
}

/// <summary>One thread's buffer in <see cref="ConvDirectGrid"/> layout, zeroed whenever its geometry changes (the
/// borders are never written afterwards, so they stay zero).</summary>
internal sealed unsafe class ConvDirectPlanes
{
    private readonly AlignedBuffer _buffer = new();
    private (int Oh, int Ow, int Images, int Channels) _key;

    /// <summary>The buffer for <paramref name="channels"/> channels of grid <paramref name="g"/>.</summary>
    public float* For(in ConvDirectGrid g, int channels)
    {
        var key = (g.Oh, g.Ow, g.Images, channels);
        float* p = _buffer.Ensure((long)channels * g.ChanStride);
        if (key != _key)
        {
            new Span<float>(p, channels * g.ChanStride).Clear();
            _key = key;
        }
        return p;
    }

    /// <summary>
    /// Copies channels [c0, c0+channels) of images [n0, n0+count) of an NCHW tensor with <paramref name="srcChannels"/>
    /// channels of Oh×Ow planes into the grid, and zeroes the rows of images count…Images−1 (stale from a fuller chunk).
    /// </summary>
    public static void Fill(in ConvDirectGrid g, float* dst, float* src, int srcChannels, int c0, int channels, int n0, int count)
    {
        int hw = g.Oh * g.Ow;
        for (int c = 0; c < channels; c++)
        {
            float* d = dst + (nint)c * g.ChanStride + g.GridBase;
            for (int i = 0; i < count; i++)
            {
                float* s = src + ((nint)(n0 + i) * srcChannels + c0 + c) * hw;
                for (int y = 0; y < g.Oh; y++, s += g.Ow) CopyRow(d + g.Row(i, y), s, g.Ow);
            }
            ClearStale(in g, d, count);
        }
    }

    /// <summary>
    /// Stride-2 phases: channel 4·c + 2·a + b of the grid holds input[2u + a, 2v + b] of channel c at (u, v), zero
    /// where that falls outside the H×W input. A 3×3 stride-2 padding-1 tap (kh, kw) of output (u, v) is then phase
    /// (kh ≠ 1, kw ≠ 1) at (u − [kh = 0], v − [kw = 0]).
    /// </summary>
    public static void FillPhases(in ConvDirectGrid g, float* dst, float* src, int cin, int h, int w, int n0, int count)
    {
        var even = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        var odd = even + Vector512<int>.One;
        nint cs = g.ChanStride;
        for (int c = 0; c < cin; c++)
        {
            float* d = dst + 4 * c * cs + g.GridBase;                // phase (a, b) at d + (2a + b)·cs
            for (int i = 0; i < count; i++)
            {
                float* plane = src + ((nint)(n0 + i) * cin + c) * h * w;
                for (int iy = 0; iy < 2 * g.Oh; iy++)
                {
                    float* row0 = d + (iy & 1) * 2 * cs + g.Row(i, iy >> 1), row1 = row0 + cs;
                    float* s = plane + (nint)iy * w;
                    // One pass over input row iy: even columns to phase b = 0, odd columns to b = 1 (zero past the row).
                    for (int v = 0; v < g.Ow; v += 16)
                    {
                        int rem = iy < h ? w - 2 * v : 0;
                        var lo = Avx512F.MaskLoad(s + 2 * v, Mask(Math.Clamp(rem, 0, 16)), Vector512<float>.Zero);
                        var hi = Avx512F.MaskLoad(s + 2 * v + 16, Mask(Math.Clamp(rem - 16, 0, 16)), Vector512<float>.Zero);
                        var m = Mask(Math.Min(g.Ow - v, 16));
                        Avx512F.MaskStore(row0 + v, m, Avx512F.PermuteVar16x32x2(lo, even, hi));
                        Avx512F.MaskStore(row1 + v, m, Avx512F.PermuteVar16x32x2(lo, odd, hi));
                    }
                }
            }
            for (int p = 0; p < 4; p++) ClearStale(in g, d + p * cs, count);
        }
    }

    /// <summary>dst[0..n) = src[0..n), 16 floats at a time with a masked tail.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CopyRow(float* dst, float* src, int n)
    {
        int i = 0;
        for (; i + 16 <= n; i += 16) Vector512.Store(Vector512.Load(src + i), dst + i);
        if (i < n)
        {
            var m = Mask(n - i);
            Avx512F.MaskStore(dst + i, m, Avx512F.MaskLoad(src + i, m, Vector512<float>.Zero));
        }
    }

    /// <summary>dst[2v] = even[v], dst[2v + 1] = odd[v] for 2v (+1) &lt; n; reads up to 16 floats past each source row.</summary>
    public static void Interleave(float* dst, float* even, float* odd, int n)
    {
        var first = Vector512.Create(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
        var second = Vector512.Create(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
        for (int x = 0; x < n; x += 32)
        {
            var e = Vector512.Load(even + x / 2);
            var o = Vector512.Load(odd + x / 2);
            Avx512F.MaskStore(dst + x, Mask(Math.Min(n - x, 16)), Avx512F.PermuteVar16x32x2(e, first, o));
            if (n - x > 16) Avx512F.MaskStore(dst + x + 16, Mask(Math.Min(n - x - 16, 16)), Avx512F.PermuteVar16x32x2(e, second, o));
        }
    }

    /// <summary>Lanes [0, n) set (n in 0…16).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Mask(int n) => Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(n)).AsSingle();

    private static void ClearStale(in ConvDirectGrid g, float* channelGrid, int count)
    {
        if (count < g.Images)
            new Span<float>(channelGrid + g.Length(count), g.Length(g.Images) - g.Length(count)).Clear();
    }
}
