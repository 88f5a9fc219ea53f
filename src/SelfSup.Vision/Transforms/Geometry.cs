using SelfSup.Engine;

namespace SelfSup.Vision.Transforms;

/// <summary>
/// A random window of area fraction in [MinScale, MaxScale] of the image and aspect ratio log-uniform in
/// [MinRatio, MaxRatio], resized to Size×Size (torchvision's RandomResizedCrop: 10 tries, then a centre crop
/// clipped to the ratio range; antialiased resize).
/// </summary>
public sealed record RandomResizedCrop(int Size, float MinScale = 0.08f, float MaxScale = 1f,
    float MinRatio = 3f / 4f, float MaxRatio = 4f / 3f, Interpolation Interpolation = Interpolation.Bilinear) : ISourceCrop
{
    public int OutputHeight => Size;
    public int OutputWidth => Size;

    /// <summary>torchvision's get_params, with Python's round-half-to-even.</summary>
    public CropBox Sample(int height, int width, Generator rng)
    {
        double area = (double)height * width;
        double logMin = Math.Log(MinRatio), logMax = Math.Log(MaxRatio);
        for (int attempt = 0; attempt < 10; attempt++)
        {
            double targetArea = area * (MinScale + (MaxScale - MinScale) * rng.NextDouble());
            double aspect = Math.Exp(logMin + (logMax - logMin) * rng.NextDouble());
            int w = (int)Math.Round(Math.Sqrt(targetArea * aspect));
            int h = (int)Math.Round(Math.Sqrt(targetArea / aspect));
            if (0 < w && w <= width && 0 < h && h <= height)
            {
                int top = rng.NextInt(height - h + 1);
                int left = rng.NextInt(width - w + 1);
                return new CropBox(top, left, h, w);
            }
        }
        double inRatio = (double)width / height;
        int fw = width, fh = height;
        if (inRatio < Math.Min(MinRatio, MaxRatio)) fh = (int)Math.Round(fw / (double)Math.Min(MinRatio, MaxRatio));
        else if (inRatio > Math.Max(MinRatio, MaxRatio)) fw = (int)Math.Round(fh * (double)Math.Max(MinRatio, MaxRatio));
        return new CropBox((height - fh) / 2, (width - fw) / 2, fh, fw);
    }

    public void Apply(FloatImage image, CropBox box) => Resampling.ResizedCrop(image, box, Size, Size, Interpolation);

    public void Apply(FloatImage image, Generator rng) => Apply(image, Sample(image.Height, image.Width, rng));

    public void LoadAndApply(RawImage source, int channels, FloatImage image, Generator rng)
    {
        var box = Sample(source.Height, source.Width, rng);
        image.Load(source, channels, box.Top, box.Left, box.Height, box.Width);
        Resampling.Resize(image, Size, Size, Interpolation);
    }
}

/// <summary>Resizes so the shorter side becomes Size, the longer keeping the aspect (torchvision's Resize(int):
/// long = int(Size·long/short)); antialiased.</summary>
public sealed record Resize(int Size, Interpolation Interpolation = Interpolation.Bilinear) : IImageTransform
{
    public (int Height, int Width) OutputSize(int height, int width) =>
        width <= height ? ((int)((long)Size * height / width), Size) : (Size, (int)((long)Size * width / height));

    public void Apply(FloatImage image, Generator rng)
    {
        var (h, w) = OutputSize(image.Height, image.Width);
        if (h != image.Height || w != image.Width) Resampling.Resize(image, h, w, Interpolation);
    }
}

/// <summary>The central Size×Size window, top-left at round((H − Size)/2), round((W − Size)/2) (half to even);
/// an image smaller than Size is first padded with zeros as torchvision does.</summary>
public sealed record CenterCrop(int Size) : ISizedTransform
{
    public int OutputHeight => Size;
    public int OutputWidth => Size;

    public void Apply(FloatImage image, Generator rng)
    {
        int h = image.Height, w = image.Width, c = image.Channels;
        if (h == Size && w == Size) return;
        var dst = image.BeginWrite(c, Size, Size);
        // torchvision pads (left, top) = ((Size − w) / 2, (Size − h) / 2) when the image is smaller, then crops.
        int padTop = Math.Max(0, (Size - h) / 2), padLeft = Math.Max(0, (Size - w) / 2);
        int top = h >= Size ? (int)Math.Round((h - Size) / 2.0) : -padTop;
        int left = w >= Size ? (int)Math.Round((w - Size) / 2.0) : -padLeft;
        if (h < Size || w < Size) dst.Clear();
        var src = image.Pixels;
        for (int ch = 0; ch < c; ch++)
            for (int y = 0; y < Size; y++)
            {
                int sy = top + y;
                if (sy < 0 || sy >= h) continue;
                int x0 = Math.Max(0, -left), x1 = Math.Min(Size, w - left);
                src.Slice(ch * h * w + sy * w + left + x0, x1 - x0).CopyTo(dst.Slice((ch * Size + y) * Size + x0, x1 - x0));
            }
        image.Commit();
    }
}

/// <summary>Mirrors left–right with probability P (torchvision's RandomHorizontalFlip: flip when rand &lt; P).</summary>
public sealed record HorizontalFlip(float P = 0.5f) : IImageTransform
{
    public bool Sample(Generator rng) => rng.NextFloat() < P;

    public void Apply(FloatImage image, Generator rng)
    {
        if (Sample(rng)) Flip(image);
    }

    public static void Flip(FloatImage image)
    {
        var px = image.Pixels;
        int w = image.Width;
        for (int row = 0; row < image.Channels * image.Height; row++) px.Slice(row * w, w).Reverse();
    }
}
