namespace SelfSup.Vision;

/// <summary>
/// A decoded image: 8 bits per sample, interleaved rows (H, W, C), 1 channel (grayscale) or 3 (RGB).
/// Decoders produce it, datasets cache it, transforms start from it.
/// </summary>
public sealed class RawImage
{
    public int Width { get; }
    public int Height { get; }
    public int Channels { get; }
    /// <summary>Row-major samples: pixel (y, x) channel c is at (y·Width + x)·Channels + c.</summary>
    public byte[] Pixels { get; }

    public RawImage(int width, int height, int channels, byte[] pixels)
    {
        if (width <= 0 || height <= 0) throw new ArgumentException($"image size {width}×{height} must be positive");
        if (channels is not (1 or 3)) throw new ArgumentException($"images have 1 or 3 channels, not {channels}");
        if (pixels.Length != (long)width * height * channels)
            throw new ArgumentException($"{pixels.Length} bytes do not fill a {width}×{height}×{channels} image");
        Width = width; Height = height; Channels = channels; Pixels = pixels;
    }

    /// <summary>Its width, height and channels.</summary>
    public ImageShape Shape => new(Width, Height, Channels);

    public byte this[int y, int x, int c] => Pixels[(y * Width + x) * Channels + c];

    public override string ToString() => $"RawImage {Width}×{Height}×{Channels}";
}

/// <summary>An image's size and channel count, as decoding would give them (EXIF rotation applied).</summary>
public readonly record struct ImageShape(int Width, int Height, int Channels);
