namespace SelfSup.Vision;

/// <summary>
/// The eight EXIF orientations (tag 0x0112) undone the way PIL's <c>ImageOps.exif_transpose</c> does:
/// 2 mirror left–right, 3 rotate 180°, 4 mirror top–bottom, 5 transpose, 6 rotate 90° clockwise,
/// 7 transverse, 8 rotate 90° anticlockwise. Orientations 5–8 swap width and height.
/// </summary>
public static class ExifOrientation
{
    /// <summary>Whether undoing <paramref name="orientation"/> swaps width and height (5–8).</summary>
    public static bool SwapsSides(int orientation) => orientation is >= 5 and <= 8;

    /// <summary>The upright image for a file stored with <paramref name="orientation"/> (1 or unknown: unchanged).</summary>
    public static RawImage Apply(RawImage image, int orientation)
    {
        if (orientation is < 2 or > 8) return image;
        int w = image.Width, h = image.Height, c = image.Channels;
        bool swap = SwapsSides(orientation);
        int ow = swap ? h : w, oh = swap ? w : h;
        var src = image.Pixels;
        var dst = GC.AllocateUninitializedArray<byte>(src.Length);
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++)
            {
                var (sy, sx) = orientation switch
                {
                    2 => (y, w - 1 - x),
                    3 => (h - 1 - y, w - 1 - x),
                    4 => (h - 1 - y, x),
                    5 => (x, y),
                    6 => (h - 1 - x, y),
                    7 => (h - 1 - x, w - 1 - y),
                    _ => (x, w - 1 - y),                    // 8
                };
                src.AsSpan((sy * w + sx) * c, c).CopyTo(dst.AsSpan((y * ow + x) * c, c));
            }
        return new RawImage(ow, oh, c, dst);
    }
}
