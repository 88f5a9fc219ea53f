namespace SelfSup.Vision.Transforms;

/// <summary>
/// The working image of a transform pipeline: planar float (C, H, W) in [0, 1], as torchvision's
/// <c>ToTensor</c> produces. It owns a spare buffer so size-changing steps write into
/// <see cref="BeginWrite"/> and swap with <see cref="Commit"/>, and a scratch buffer for separable passes:
/// one instance per thread (or per loader worker) and no allocation once the buffers have grown.
/// </summary>
public sealed class FloatImage
{
    float[] data, spare, scratch;
    int pendingC, pendingH, pendingW;

    public int Channels { get; private set; }
    public int Height { get; private set; }
    public int Width { get; private set; }
    public int PlaneSize => Height * Width;

    /// <summary>The samples, plane after plane: (c, y, x) at c·H·W + y·W + x.</summary>
    public Span<float> Pixels => data.AsSpan(0, Channels * Height * Width);

    public Span<float> Plane(int c) => data.AsSpan(c * PlaneSize, PlaneSize);

    public FloatImage() { data = []; spare = []; scratch = []; }

    /// <summary>An image of the given shape holding <paramref name="pixels"/> (C·H·W values, copied).</summary>
    public FloatImage(int channels, int height, int width, ReadOnlySpan<float> pixels) : this()
    {
        if (pixels.Length != channels * height * width) throw new ArgumentException($"{pixels.Length} values do not fill ({channels}, {height}, {width})");
        pixels.CopyTo(Reset(channels, height, width));
    }

    /// <summary>Sets the shape (contents undefined) and returns the pixels to fill.</summary>
    public Span<float> Reset(int channels, int height, int width)
    {
        Grow(ref data, channels * height * width);
        (Channels, Height, Width) = (channels, height, width);
        return Pixels;
    }

    /// <summary>The spare buffer shaped (C, H, W) for a step's output; <see cref="Commit"/> makes it current.</summary>
    public Span<float> BeginWrite(int channels, int height, int width)
    {
        Grow(ref spare, channels * height * width);
        (pendingC, pendingH, pendingW) = (channels, height, width);
        return spare.AsSpan(0, channels * height * width);
    }

    public void Commit()
    {
        (data, spare) = (spare, data);
        (Channels, Height, Width) = (pendingC, pendingH, pendingW);
    }

    /// <summary>A temporary buffer of at least <paramref name="length"/> floats, valid until the next call.</summary>
    public Span<float> Scratch(int length)
    {
        Grow(ref scratch, length);
        return scratch.AsSpan(0, length);
    }

    static void Grow(ref float[] buffer, int length)
    {
        if (buffer.Length < length) buffer = new float[Math.Max(length, buffer.Length * 2)];
    }

    /// <summary>b / 255 in float, exactly as ToTensor divides.</summary>
    static readonly float[] ByteToUnit = Enumerable.Range(0, 256).Select(b => b / 255f).ToArray();

    /// <summary>
    /// Loads rows [top, top+height) × columns [left, left+width) of <paramref name="image"/> as <paramref name="channels"/>
    /// planes in [0, 1]. A grey image asked for 3 channels is replicated (PIL's convert("RGB")); an RGB image asked for
    /// 1 channel takes torchvision's rgb_to_grayscale weights.
    /// </summary>
    public void Load(RawImage image, int channels, int top, int left, int height, int width)
    {
        if (top < 0 || left < 0 || height <= 0 || width <= 0 || top + height > image.Height || left + width > image.Width)
            throw new ArgumentException($"region ({top}, {left}, {height}, {width}) is outside {image}");
        if (channels is not (1 or 3)) throw new ArgumentException($"transforms produce 1 or 3 channels, not {channels}");
        var lut = ByteToUnit;
        var px = image.Pixels;
        int srcC = image.Channels, plane = height * width;
        var dst = Reset(srcC == 1 ? channels : 3, height, width);   // grey→RGB fills plane 0, then replicates
        for (int y = 0; y < height; y++)
        {
            int src = ((top + y) * image.Width + left) * srcC, row = y * width;
            if (srcC == 1)
                for (int x = 0; x < width; x++) dst[row + x] = lut[px[src + x]];
            else
                for (int x = 0; x < width; x++, src += 3)
                {
                    dst[row + x] = lut[px[src]];
                    dst[plane + row + x] = lut[px[src + 1]];
                    dst[2 * plane + row + x] = lut[px[src + 2]];
                }
        }
        if (srcC == 1 && channels == 3)
        {
            dst[..plane].CopyTo(dst[plane..]);
            dst[..plane].CopyTo(dst[(2 * plane)..]);
        }
        else if (srcC == 3 && channels == 1)
        {
            var gray = BeginWrite(1, height, width);
            PlaneMath.Grayscale(Plane(0), Plane(1), Plane(2), gray);
            Commit();
        }
    }

    /// <summary>The whole image, see <see cref="Load(RawImage, int, int, int, int, int)"/>.</summary>
    public void Load(RawImage image, int channels) => Load(image, channels, 0, 0, image.Height, image.Width);

    public override string ToString() => $"FloatImage ({Channels}, {Height}, {Width})";
}
