using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace SelfSup.Engine.Kernels;

/// <summary>
/// Pooling over one (H, W) plane, with torch's conventions: max pooling pads with −inf and keeps the first
/// maximum (a NaN wins, the last one if several); average pooling divides by kernel² (count_include_pad); adaptive average pooling
/// uses windows [⌊o·H/out⌋, ⌈(o+1)·H/out⌉).
/// </summary>
public static class PoolKernels
{
    /// <summary>Output size of a k-window with stride and padding (floor mode).</summary>
    public static int OutputSize(int size, int kernel, int stride, int padding) => (size + 2 * padding - kernel) / stride + 1;

    /// <summary>
    /// Max pooling of one plane, one output row at a time: each window tap (row iy, column offset kx) is gathered
    /// across the row's outputs and merged with a vector compare-and-select, taps in row-major window order, so
    /// the strict "&gt;" keeps the first maximum. <paramref name="argmax"/> receives flat indices within the plane.
    /// </summary>
    public static void MaxPlane(ReadOnlySpan<float> x, int h, int w, int kernel, int stride, int padding, Span<float> y, Span<int> argmax)
    {
        int outH = OutputSize(h, kernel, stride, padding), outW = OutputSize(w, kernel, stride, padding);
        Span<float> tap = outW <= 512 ? stackalloc float[outW] : new float[outW];
        for (int oy = 0; oy < outH; oy++)
        {
            int y0 = Math.Max(oy * stride - padding, 0), y1 = Math.Min(oy * stride - padding + kernel, h);
            var best = y.Slice(oy * outW, outW); var bestAt = argmax.Slice(oy * outW, outW);
            best.Fill(float.NegativeInfinity);
            for (int ox = 0; ox < outW; ox++) bestAt[ox] = y0 * w + Math.Max(ox * stride - padding, 0);   // torch's start index
            for (int iy = y0; iy < y1; iy++)
            {
                var row = x.Slice(iy * w, w);
                for (int kx = 0; kx < kernel; kx++)
                {
                    int offset = kx - padding;                                           // input column = ox·stride + offset
                    for (int ox = 0; ox < outW; ox++)
                    {
                        int ix = ox * stride + offset;
                        tap[ox] = (uint)ix < (uint)w ? row[ix] : float.NegativeInfinity;   // padding never wins
                    }
                    MergeMax(tap, best, bestAt, iy * w + offset, stride);
                }
            }
        }
    }

    /// <summary>Where tap[i] &gt; best[i] or tap[i] is NaN (torch's test): best[i] = tap[i], bestAt[i] = first + i·step.</summary>
    public static void MergeMax(ReadOnlySpan<float> tap, Span<float> best, Span<int> bestAt, int first, int step)
    {
        int i = 0, n = tap.Length;
        ref float t0 = ref MemoryMarshal.GetReference(tap);
        ref float b0 = ref MemoryMarshal.GetReference(best);
        ref int a0 = ref MemoryMarshal.GetReference(bestAt);
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var ramp = Vector512<int>.Indices * step;
            for (; i <= n - 16; i += 16)
            {
                var v = Vector512.LoadUnsafe(ref t0, (nuint)i); var b = Vector512.LoadUnsafe(ref b0, (nuint)i);
                var take = Vector512.GreaterThan(v, b) | ~Vector512.Equals(v, v);
                Vector512.ConditionalSelect(take, v, b).StoreUnsafe(ref b0, (nuint)i);
                Vector512.ConditionalSelect(take.AsInt32(), Vector512.Create(first + i * step) + ramp, Vector512.LoadUnsafe(ref a0, (nuint)i)).StoreUnsafe(ref a0, (nuint)i);
            }
        }
        if (Vector256.IsHardwareAccelerated && n - i >= 8)
        {
            var ramp = Vector256<int>.Indices * step;
            for (; i <= n - 8; i += 8)
            {
                var v = Vector256.LoadUnsafe(ref t0, (nuint)i); var b = Vector256.LoadUnsafe(ref b0, (nuint)i);
                var take = Vector256.GreaterThan(v, b) | ~Vector256.Equals(v, v);
                Vector256.ConditionalSelect(take, v, b).StoreUnsafe(ref b0, (nuint)i);
                Vector256.ConditionalSelect(take.AsInt32(), Vector256.Create(first + i * step) + ramp, Vector256.LoadUnsafe(ref a0, (nuint)i)).StoreUnsafe(ref a0, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            float v = tap[i];
            if (v > best[i] || float.IsNaN(v)) { best[i] = v; bestAt[i] = first + i * step; }
        }
    }

    /// <summary>dx[argmax[i]] += dy[i] (dx is cleared first).</summary>
    public static void MaxPlaneBackward(ReadOnlySpan<float> dy, ReadOnlySpan<int> argmax, Span<float> dx)
    {
        dx.Clear();
        for (int i = 0; i < dy.Length; i++) dx[argmax[i]] += dy[i];
    }

    public static void AvgPlane(ReadOnlySpan<float> x, int h, int w, int kernel, int stride, int padding, Span<float> y)
    {
        int outH = OutputSize(h, kernel, stride, padding), outW = OutputSize(w, kernel, stride, padding);
        float inv = 1f / (kernel * kernel);
        for (int oy = 0; oy < outH; oy++)
        {
            int y0 = Math.Max(oy * stride - padding, 0), y1 = Math.Min(oy * stride - padding + kernel, h);
            for (int ox = 0; ox < outW; ox++)
            {
                int x0 = Math.Max(ox * stride - padding, 0), x1 = Math.Min(ox * stride - padding + kernel, w);
                float sum = 0;
                for (int iy = y0; iy < y1; iy++) sum += TensorPrimitives.Sum(x.Slice(iy * w + x0, Math.Max(x1 - x0, 0)));
                y[oy * outW + ox] = sum * inv;
            }
        }
    }

    public static void AvgPlaneBackward(ReadOnlySpan<float> dy, int h, int w, int kernel, int stride, int padding, Span<float> dx)
    {
        int outH = OutputSize(h, kernel, stride, padding), outW = OutputSize(w, kernel, stride, padding);
        float inv = 1f / (kernel * kernel);
        dx.Clear();
        for (int oy = 0; oy < outH; oy++)
        {
            int y0 = Math.Max(oy * stride - padding, 0), y1 = Math.Min(oy * stride - padding + kernel, h);
            for (int ox = 0; ox < outW; ox++)
            {
                int x0 = Math.Max(ox * stride - padding, 0), x1 = Math.Min(ox * stride - padding + kernel, w);
                if (x1 <= x0) continue;
                float g = dy[oy * outW + ox] * inv;
                for (int iy = y0; iy < y1; iy++) TensorPrimitives.Add(dx.Slice(iy * w + x0, x1 - x0), g, dx.Slice(iy * w + x0, x1 - x0));
            }
        }
    }

    /// <summary>First input index of adaptive window <paramref name="o"/>: ⌊o·in/out⌋.</summary>
    public static int AdaptiveStart(int o, int inSize, int outSize) => (int)((long)o * inSize / outSize);
    /// <summary>One past the last input index of adaptive window <paramref name="o"/>: ⌈(o+1)·in/out⌉.</summary>
    public static int AdaptiveEnd(int o, int inSize, int outSize) => (int)(((long)(o + 1) * inSize + outSize - 1) / outSize);

    public static void AdaptiveAvgPlane(ReadOnlySpan<float> x, int h, int w, int outH, int outW, Span<float> y)
    {
        for (int oy = 0; oy < outH; oy++)
        {
            int y0 = AdaptiveStart(oy, h, outH), y1 = AdaptiveEnd(oy, h, outH);
            for (int ox = 0; ox < outW; ox++)
            {
                int x0 = AdaptiveStart(ox, w, outW), x1 = AdaptiveEnd(ox, w, outW);
                float sum = 0;
                for (int iy = y0; iy < y1; iy++) sum += TensorPrimitives.Sum(x.Slice(iy * w + x0, x1 - x0));
                y[oy * outW + ox] = sum / ((y1 - y0) * (x1 - x0));
            }
        }
    }

    public static void AdaptiveAvgPlaneBackward(ReadOnlySpan<float> dy, int h, int w, int outH, int outW, Span<float> dx)
    {
        dx.Clear();
        for (int oy = 0; oy < outH; oy++)
        {
            int y0 = AdaptiveStart(oy, h, outH), y1 = AdaptiveEnd(oy, h, outH);
            for (int ox = 0; ox < outW; ox++)
            {
                int x0 = AdaptiveStart(ox, w, outW), x1 = AdaptiveEnd(ox, w, outW);
                float g = dy[oy * outW + ox] / ((y1 - y0) * (x1 - x0));
                for (int iy = y0; iy < y1; iy++) TensorPrimitives.Add(dx.Slice(iy * w + x0, x1 - x0), g, dx.Slice(iy * w + x0, x1 - x0));
            }
        }
    }
}
