using System.Runtime.Intrinsics;
using SelfSup.Engine;

namespace SelfSup.Vision.Transforms;

/// <summary>
/// Gaussian blur with a KernelSize×KernelSize kernel and σ uniform in [SigmaMin, SigmaMax] (torchvision's GaussianBlur:
/// 1-D kernel exp(−x²/2σ²) on x = −(k−1)/2 … (k−1)/2, normalised; reflect padding). Applied separably, which equals
/// torchvision's 2-D convolution with the outer-product kernel up to float rounding.
/// </summary>
public sealed record GaussianBlur(int KernelSize, float SigmaMin = 0.1f, float SigmaMax = 2f) : IImageTransform
{
    public float Sample(Generator rng) => rng.Uniform(SigmaMin, SigmaMax);

    public void Apply(FloatImage image, Generator rng) => Apply(image, Sample(rng));

    public void Apply(FloatImage image, float sigma) => Blur(image, KernelSize, sigma);

    /// <summary>The normalised 1-D kernel of torchvision's _get_gaussian_kernel1d.</summary>
    public static float[] Kernel(int size, float sigma)
    {
        if (size <= 0 || size % 2 == 0) throw new ArgumentException($"blur kernel size must be odd and positive, not {size}");
        if (!(sigma > 0)) throw new ArgumentException($"blur sigma must be positive, not {sigma}");
        var k = new float[size];
        FillKernel(k, sigma);
        return k;
    }

    static void FillKernel(Span<float> k, float sigma)
    {
        float half = (k.Length - 1) * 0.5f, sum = 0;
        for (int i = 0; i < k.Length; i++)
        {
            float x = (-half + i) / sigma;
            k[i] = MathF.Exp(-0.5f * (x * x));
            sum += k[i];
        }
        for (int i = 0; i < k.Length; i++) k[i] /= sum;
    }

    /// <summary>Mirror index without repeating the edge (torch's reflect padding), folded again for tiny images.</summary>
    static int Reflect(int i, int n)
    {
        if (n == 1) return 0;
        while (i < 0 || i >= n) i = i < 0 ? -i : 2 * (n - 1) - i;
        return i;
    }

    /// <summary>
    /// Blurs every plane in place: a horizontal then a vertical pass, each as kernel-size long multiply-adds over the
    /// whole plane (rows and columns away from the border need no padding), then the border pixels again with reflection.
    /// Every output is 0 + k₀·a + k₁·b + … in that order on both paths.
    /// </summary>
    public static void Blur(FloatImage image, int kernelSize, float sigma)
    {
        if (kernelSize <= 0 || kernelSize % 2 == 0) throw new ArgumentException($"blur kernel size must be odd and positive, not {kernelSize}");
        int h = image.Height, w = image.Width, n = h * w, r = kernelSize / 2;
        Span<float> k = kernelSize <= 64 ? stackalloc float[kernelSize] : new float[kernelSize];
        FillKernel(k, sigma);
        var mid = image.Scratch(n);
        for (int c = 0; c < image.Channels; c++)
        {
            var plane = image.Plane(c);
            // Horizontal: mid[i] = Σ k[j]·plane[i − r + j]; right for r ≤ x < w − r, the row ends are redone below.
            mid.Clear();
            if (n > 2 * r)
                for (int j = 0; j < kernelSize; j++) AddScaled(mid[r..(n - r)], k[j], plane.Slice(j, n - 2 * r));
            for (int y = 0; y < h; y++)
            {
                var row = plane.Slice(y * w, w);
                for (int x = 0; x < w; x++)
                {
                    if (x == r && w - r > r) x = w - r;         // skip the interior, already right
                    if (x >= w) break;
                    float acc = 0;
                    for (int j = 0; j < kernelSize; j++) acc += k[j] * row[Reflect(x - r + j, w)];
                    mid[y * w + x] = acc;
                }
            }
            // Vertical: plane[y] = Σ k[j]·mid[y − r + j] for whole rows; the top and bottom r rows reflect.
            plane.Clear();
            if (h > 2 * r)
                for (int j = 0; j < kernelSize; j++) AddScaled(plane[(r * w)..((h - r) * w)], k[j], mid.Slice(j * w, (h - 2 * r) * w));
            for (int y = 0; y < h; y++)
            {
                if (y == r && h - r > r) y = h - r;
                if (y >= h) break;
                var outRow = plane.Slice(y * w, w);
                for (int j = 0; j < kernelSize; j++) AddScaled(outRow, k[j], mid.Slice(Reflect(y - r + j, h) * w, w));
            }
        }
    }

    static void AddScaled(Span<float> dst, float k, ReadOnlySpan<float> src)
    {
        int n = dst.Length, i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (var kv = Vector512.Create(k); i <= n - 16; i += 16) (Vector512.Create(dst[i..]) + kv * Vector512.Create(src[i..])).CopyTo(dst[i..]);
        if (Vector256.IsHardwareAccelerated)
            for (var kv = Vector256.Create(k); i <= n - 8; i += 8) (Vector256.Create(dst[i..]) + kv * Vector256.Create(src[i..])).CopyTo(dst[i..]);
        for (; i < n; i++) dst[i] += k * src[i];
    }
}
