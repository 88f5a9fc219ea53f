using System.Runtime.Intrinsics;

namespace SelfSup.Vision.Transforms;

/// <summary>Interpolation of the resizing transforms (both antialiased when downscaling, as PIL and torchvision's
/// <c>antialias=True</c> do).</summary>
public enum Interpolation { Bilinear, Bicubic }

/// <summary>A crop window in pixels of the image it was sampled for.</summary>
public readonly record struct CropBox(int Top, int Left, int Height, int Width);

/// <summary>
/// Separable antialiased resampling, as PyTorch's <c>interpolate(..., align_corners=False, antialias=True)</c>
/// computes it (aten UpSampleKernel, <c>_compute_indices_weights_aa</c>): for output index i the filter is centred
/// at scale·(i + ½) with scale = in/out, its support widened by scale when downscaling, taps clipped to the image
/// and renormalised. Width is resampled first, then height; a dimension whose size does not change is left alone.
/// Weights are computed in float like the reference.
/// </summary>
public static class Resampling
{
    /// <summary>Taps of one dimension: output i reads input [Start[i], Start[i] + Count[i]) with Weights[i·MaxTaps + j].</summary>
    sealed class Taps
    {
        public int[] Start = [], Count = [];
        public float[] Weights = [];
        public int MaxTaps;

        public void Compute(int inSize, int outSize, Interpolation mode)
        {
            float scale = (float)inSize / outSize;
            float halfWidth = mode == Interpolation.Bicubic ? 2f : 1f;
            float support = scale >= 1f ? halfWidth * scale : halfWidth;
            float invScale = scale >= 1f ? 1f / scale : 1f;
            MaxTaps = (int)MathF.Ceiling(support) * 2 + 1;
            if (Start.Length < outSize) { Start = new int[outSize]; Count = new int[outSize]; }
            if (Weights.Length < outSize * MaxTaps) Weights = new float[outSize * MaxTaps];
            for (int i = 0; i < outSize; i++)
            {
                float center = scale * (i + 0.5f);
                int xmin = Math.Max((int)(center - support + 0.5f), 0);
                int count = Math.Min((int)(center + support + 0.5f), inSize) - xmin;
                var w = Weights.AsSpan(i * MaxTaps, MaxTaps);
                float total = 0;
                for (int j = 0; j < count; j++)
                {
                    float x = (j + xmin - center + 0.5f) * invScale;
                    w[j] = mode == Interpolation.Bicubic ? Cubic(x) : Triangle(x);
                    total += w[j];
                }
                if (total != 0) for (int j = 0; j < count; j++) w[j] /= total;
                Start[i] = xmin; Count[i] = count;
            }
        }
    }

    static float Triangle(float x)
    {
        x = MathF.Abs(x);
        return x < 1f ? 1f - x : 0f;
    }

    /// <summary>Keys' cubic with a = −0.5 (PIL's and PyTorch's antialiased bicubic).</summary>
    static float Cubic(float x)
    {
        const float a = -0.5f;
        x = MathF.Abs(x);
        if (x < 1f) return ((a + 2f) * x - (a + 3f)) * x * x + 1f;
        if (x < 2f) return (((x - 5f) * x + 8f) * x - 4f) * a;
        return 0f;
    }

    [ThreadStatic] static Taps? horizontalTaps, verticalTaps;

    /// <summary>Crops <paramref name="box"/> out of <paramref name="image"/> and resizes it to
    /// <paramref name="outHeight"/>×<paramref name="outWidth"/> (torchvision's resized_crop), in one pass per dimension.</summary>
    public static void ResizedCrop(FloatImage image, CropBox box, int outHeight, int outWidth, Interpolation mode)
    {
        if (box.Top < 0 || box.Left < 0 || box.Height <= 0 || box.Width <= 0 || box.Top + box.Height > image.Height || box.Left + box.Width > image.Width)
            throw new ArgumentException($"crop {box} is outside {image}");
        if (outHeight <= 0 || outWidth <= 0) throw new ArgumentException($"output size {outHeight}×{outWidth} must be positive");
        int channels = image.Channels, inH = image.Height, inW = image.Width;
        var dst = image.BeginWrite(channels, outHeight, outWidth);
        // Width pass: (C, box.Height, outWidth), in scratch (or skipped when the width does not change).
        ReadOnlySpan<float> rows = image.Pixels;
        int rowStride = inW, rowOffset = box.Top * inW + box.Left, planeStride = inH * inW;
        if (box.Width != outWidth)
        {
            var taps = horizontalTaps ??= new Taps();
            taps.Compute(box.Width, outWidth, mode);
            var mid = image.Scratch(channels * box.Height * outWidth);
            var src = image.Pixels;
            for (int c = 0; c < channels; c++)
                for (int y = 0; y < box.Height; y++)
                    ResampleRow(src.Slice(c * inH * inW + (box.Top + y) * inW + box.Left, box.Width),
                        mid.Slice((c * box.Height + y) * outWidth, outWidth), taps);
            rows = mid;
            (rowStride, rowOffset, planeStride) = (outWidth, 0, box.Height * outWidth);
        }
        // Height pass: rows combined with the vertical weights, vectorised along the row.
        if (box.Height != outHeight)
        {
            var taps = verticalTaps ??= new Taps();
            taps.Compute(box.Height, outHeight, mode);
            for (int c = 0; c < channels; c++)
                for (int y = 0; y < outHeight; y++)
                {
                    var outRow = dst.Slice((c * outHeight + y) * outWidth, outWidth);
                    int start = taps.Start[y], count = taps.Count[y];
                    var w = taps.Weights.AsSpan(y * taps.MaxTaps, count);
                    int first = c * planeStride + rowOffset + start * rowStride;
                    ScaleRow(outRow, w[0], rows.Slice(first, outWidth));
                    for (int j = 1; j < count; j++) AddScaledRow(outRow, w[j], rows.Slice(first + j * rowStride, outWidth));
                }
        }
        else
            for (int c = 0; c < channels; c++)
                for (int y = 0; y < outHeight; y++)
                    rows.Slice(c * planeStride + rowOffset + y * rowStride, outWidth).CopyTo(dst.Slice((c * outHeight + y) * outWidth, outWidth));
        image.Commit();
    }

    /// <summary>Resizes the whole image to <paramref name="outHeight"/>×<paramref name="outWidth"/>.</summary>
    public static void Resize(FloatImage image, int outHeight, int outWidth, Interpolation mode) =>
        ResizedCrop(image, new CropBox(0, 0, image.Height, image.Width), outHeight, outWidth, mode);

    static void ResampleRow(ReadOnlySpan<float> src, Span<float> dst, Taps taps)
    {
        var weights = taps.Weights;
        for (int i = 0; i < dst.Length; i++)
        {
            int start = taps.Start[i], count = taps.Count[i], wi = i * taps.MaxTaps;
            float acc = src[start] * weights[wi];
            for (int j = 1; j < count; j++) acc += src[start + j] * weights[wi + j];
            dst[i] = acc;
        }
    }

    static void ScaleRow(Span<float> dst, float w, ReadOnlySpan<float> src)
    {
        int n = dst.Length, i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (var wv = Vector512.Create(w); i <= n - 16; i += 16) (Vector512.Create(src[i..]) * wv).CopyTo(dst[i..]);
        if (Vector256.IsHardwareAccelerated)
            for (var wv = Vector256.Create(w); i <= n - 8; i += 8) (Vector256.Create(src[i..]) * wv).CopyTo(dst[i..]);
        for (; i < n; i++) dst[i] = src[i] * w;
    }

    static void AddScaledRow(Span<float> dst, float w, ReadOnlySpan<float> src)
    {
        int n = dst.Length, i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (var wv = Vector512.Create(w); i <= n - 16; i += 16) (Vector512.Create(dst[i..]) + Vector512.Create(src[i..]) * wv).CopyTo(dst[i..]);
        if (Vector256.IsHardwareAccelerated)
            for (var wv = Vector256.Create(w); i <= n - 8; i += 8) (Vector256.Create(dst[i..]) + Vector256.Create(src[i..]) * wv).CopyTo(dst[i..]);
        for (; i < n; i++) dst[i] += src[i] * w;
    }
}
