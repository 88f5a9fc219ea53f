using System.Numerics.Tensors;

namespace SelfSup.Engine.Kernels;

/// <summary>
/// Pooling over one (H, W) plane, with torch's conventions: max pooling pads with −inf and keeps the first
/// maximum (NaN wins); average pooling divides by kernel² (count_include_pad); adaptive average pooling
/// uses windows [⌊o·H/out⌋, ⌈(o+1)·H/out⌉).
/// </summary>
public static class PoolKernels
{
    /// <summary>Output size of a k-window with stride and padding (floor mode).</summary>
    public static int OutputSize(int size, int kernel, int stride, int padding) => (size + 2 * padding - kernel) / stride + 1;

    public static void MaxPlane(ReadOnlySpan<float> x, int h, int w, int kernel, int stride, int padding, Span<float> y, Span<int> argmax)
    {
        int outH = OutputSize(h, kernel, stride, padding), outW = OutputSize(w, kernel, stride, padding);
        for (int oy = 0; oy < outH; oy++)
        {
            int y0 = Math.Max(oy * stride - padding, 0), y1 = Math.Min(oy * stride - padding + kernel, h);
            for (int ox = 0; ox < outW; ox++)
            {
                int x0 = Math.Max(ox * stride - padding, 0), x1 = Math.Min(ox * stride - padding + kernel, w);
                int best = y0 * w + x0;
                float bestValue = float.NegativeInfinity;
                for (int iy = y0; iy < y1; iy++)
                {
                    var row = x.Slice(iy * w, w);
                    for (int ix = x0; ix < x1; ix++)
                    {
                        float v = row[ix];
                        if (v > bestValue || float.IsNaN(v)) { bestValue = v; best = iy * w + ix; if (float.IsNaN(v)) goto done; }
                    }
                }
            done:
                y[oy * outW + ox] = bestValue;
                argmax[oy * outW + ox] = best;
            }
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
