using System.Numerics.Tensors;
using SelfSup.Engine.Kernels;

namespace SelfSup.Engine;

public static partial class Ops
{
    /// <summary>Max pooling over k×k windows of (N, C, H, W), −inf padding (torch). The gradient goes to each window's first maximum.</summary>
    public static Tensor MaxPool2d(Tensor x, int kernel, int stride, int padding = 0)
    {
        var (planes, h, w, oh, ow) = PoolShape("max_pool2d", x, kernel, stride, padding);
        var xc = x.Contiguous();
        var y = Empty([x.Shape[0], x.Shape[1], oh, ow]);                                   // (N, C, H', W')
        var argmax = new int[y.Numel];                                                      // flat index within the input plane
        int inPlane = h * w, outPlane = oh * ow;
        ForRanges(planes, xc.Numel, (p0, p1) =>
        {
            for (int p = p0; p < p1; p++)
                PoolKernels.MaxPlane(xc.Data.AsSpan(xc.Offset + p * inPlane, inPlane), h, w, kernel, stride, padding,
                    y.Data.AsSpan(p * outPlane, outPlane), argmax.AsSpan(p * outPlane, outPlane));
        });
        return Graph.Record(y, [xc], dy =>
        {
            var g = dy.Contiguous();
            var dx = Empty(xc.Shape);                                                       // (N, C, H, W)
            ForRanges(planes, xc.Numel, (p0, p1) =>
            {
                for (int p = p0; p < p1; p++)
                    PoolKernels.MaxPlaneBackward(g.Data.AsSpan(g.Offset + p * outPlane, outPlane), argmax.AsSpan(p * outPlane, outPlane), dx.Data.AsSpan(p * inPlane, inPlane));
            });
            return [dx];
        });
    }

    /// <summary>Average pooling over k×k windows of (N, C, H, W), dividing by k² (count_include_pad, torch's default).</summary>
    public static Tensor AvgPool2d(Tensor x, int kernel, int stride, int padding = 0)
    {
        var (planes, h, w, oh, ow) = PoolShape("avg_pool2d", x, kernel, stride, padding);
        var xc = x.Contiguous();
        var y = Empty([x.Shape[0], x.Shape[1], oh, ow]);                                   // (N, C, H', W')
        int inPlane = h * w, outPlane = oh * ow;
        ForRanges(planes, xc.Numel, (p0, p1) =>
        {
            for (int p = p0; p < p1; p++)
                PoolKernels.AvgPlane(xc.Data.AsSpan(xc.Offset + p * inPlane, inPlane), h, w, kernel, stride, padding, y.Data.AsSpan(p * outPlane, outPlane));
        });
        return Graph.Record(y, [xc], dy =>
        {
            var g = dy.Contiguous();
            var dx = Empty(xc.Shape);                                                       // (N, C, H, W)
            ForRanges(planes, xc.Numel, (p0, p1) =>
            {
                for (int p = p0; p < p1; p++)
                    PoolKernels.AvgPlaneBackward(g.Data.AsSpan(g.Offset + p * outPlane, outPlane), h, w, kernel, stride, padding, dx.Data.AsSpan(p * inPlane, inPlane));
            });
            return [dx];
        });
    }

    /// <summary>
    /// Average pooling of (N, C, H, W) to (N, C, outH, outW) with torch's adaptive windows
    /// [⌊o·H/outH⌋, ⌈(o+1)·H/outH⌉); 1×1 (global average pooling) takes a plane-mean fast path.
    /// </summary>
    public static Tensor AdaptiveAvgPool2d(Tensor x, int outH, int outW)
    {
        if (x.Rank != 4) throw new ArgumentException($"adaptive_avg_pool2d needs (N, C, H, W), got {ShapeUtil.Format(x.Shape)}");
        if (outH < 1 || outW < 1) throw new ArgumentException($"adaptive_avg_pool2d: output size {outH}×{outW} must be positive (input {ShapeUtil.Format(x.Shape)})");
        int planes = x.Shape[0] * x.Shape[1], h = x.Shape[2], w = x.Shape[3];
        if (h < 1 || w < 1) throw new ArgumentException($"adaptive_avg_pool2d of an empty plane, input {ShapeUtil.Format(x.Shape)}");
        var xc = x.Contiguous();
        var y = Empty([x.Shape[0], x.Shape[1], outH, outW]);                               // (N, C, outH, outW)
        int inPlane = h * w, outPlane = outH * outW;
        bool global = outH == 1 && outW == 1;
        ForRanges(planes, xc.Numel, (p0, p1) =>
        {
            for (int p = p0; p < p1; p++)
            {
                var plane = xc.Data.AsSpan(xc.Offset + p * inPlane, inPlane);
                if (global) y.Data[p] = TensorPrimitives.Sum(plane) / inPlane;
                else PoolKernels.AdaptiveAvgPlane(plane, h, w, outH, outW, y.Data.AsSpan(p * outPlane, outPlane));
            }
        });
        return Graph.Record(y, [xc], dy =>
        {
            var g = dy.Contiguous();
            var dx = Empty(xc.Shape);                                                       // (N, C, H, W)
            ForRanges(planes, xc.Numel, (p0, p1) =>
            {
                for (int p = p0; p < p1; p++)
                {
                    var plane = dx.Data.AsSpan(p * inPlane, inPlane);
                    if (global) plane.Fill(g.Data[g.Offset + p] / inPlane);
                    else PoolKernels.AdaptiveAvgPlaneBackward(g.Data.AsSpan(g.Offset + p * outPlane, outPlane), h, w, outH, outW, plane);
                }
            });
            return [dx];
        });
    }

    static (int planes, int h, int w, int outH, int outW) PoolShape(string op, Tensor x, int kernel, int stride, int padding)
    {
        if (x.Rank != 4) throw new ArgumentException($"{op} needs (N, C, H, W), got {ShapeUtil.Format(x.Shape)}");
        if (kernel < 1 || stride < 1 || padding < 0 || padding > kernel / 2)
            throw new ArgumentException($"{op}: kernel {kernel}, stride {stride}, padding {padding} invalid (padding must be at most kernel/2) for input {ShapeUtil.Format(x.Shape)}");
        int h = x.Shape[2], w = x.Shape[3];
        int oh = PoolKernels.OutputSize(h, kernel, stride, padding), ow = PoolKernels.OutputSize(w, kernel, stride, padding);
        if (oh < 1 || ow < 1) throw new ArgumentException($"{op}: kernel {kernel} with padding {padding} does not fit input {ShapeUtil.Format(x.Shape)}");
        return (x.Shape[0] * x.Shape[1], h, w, oh, ow);
    }

    /// <summary>Below this many elements an op runs on the calling thread.</summary>
    const long ParallelWork = 1 << 15;

    /// <summary>
    /// Runs <paramref name="body"/> over [start, end) slices covering 0..count: one slice when the op touches
    /// fewer than <see cref="ParallelWork"/> elements, else a few slices per worker thread. Slices depend on the
    /// thread count, so bodies must give the same result however the items are split.
    /// </summary>
    static void ForRanges(int count, long work, Action<int, int> body)
    {
        int ranges = work < ParallelWork ? 1 : Math.Min(count, Workers.Threads * 4);
        if (ranges <= 1) { if (count > 0) body(0, count); return; }
        Workers.For(ranges, r => body((int)((long)r * count / ranges), (int)((long)(r + 1) * count / ranges)));
    }
}
