using SelfSup.Engine;

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
}
