using SelfSup.Engine;
using SelfSup.Vision.Transforms;

namespace SelfSup.Vision;

/// <summary>
/// Turns one decoded image into one augmented, normalised view of fixed size, written as planar float CHW.
/// All randomness comes from the generator passed to Apply, so a view depends only on the image and the generator.
/// </summary>
public interface IViewTransform
{
    int Channels { get; }
    int Height { get; }
    int Width { get; }
    /// <summary>Writes Channels·Height·Width floats (C, H, W) into <paramref name="destination"/>.</summary>
    void Apply(RawImage image, Generator rng, Span<float> destination);
}

/// <summary>The views a method takes of every image (two for MoCo/SimCLR/BYOL; BYOL's two differ).</summary>
public sealed record MultiView(IReadOnlyList<IViewTransform> Views)
{
    /// <summary>The same augmentation twice.</summary>
    public static MultiView Twice(IViewTransform view) => new([view, view]);

    /// <summary>These views with every <see cref="RandomResizedCrop"/> keeping at least <paramref name="minScale"/> of the
    /// image's area (the rest of each pipeline unchanged).</summary>
    public MultiView WithCropMinScale(float minScale)
    {
        if (!(minScale > 0 && minScale <= 1)) throw new ArgumentException($"a crop's minimum scale must be in (0, 1], not {minScale}");
        return new(Views.Select(v => v is Compose c
            ? new Compose(c.Channels, [.. c.Steps.Select(s => s is RandomResizedCrop r ? r with { MinScale = minScale, MaxScale = Math.Max(minScale, r.MaxScale) } : s)])
            : v).ToArray());
    }
}
