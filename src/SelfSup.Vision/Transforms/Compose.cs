using SelfSup.Engine;

namespace SelfSup.Vision.Transforms;

/// <summary>
/// A view pipeline: decoded image → float planes in [0, 1] (ToTensor) → the steps in order → normalised (C, H, W).
/// The view size is that of the last crop; the channel count that of the final <see cref="Normalize"/> (or given).
/// A leading crop reads only its window of the decoded image; the final Normalize writes into the destination.
/// The working image is per thread, so one Compose serves any number of loader threads without allocating.
/// </summary>
public sealed class Compose : IViewTransform
{
    public IReadOnlyList<IImageTransform> Steps { get; }
    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }

    [ThreadStatic] static FloatImage? workingImage;

    public Compose(params IImageTransform[] steps) : this(ChannelsOf(steps), steps) { }

    public Compose(int channels, params IImageTransform[] steps)
    {
        if (channels is not (1 or 3)) throw new ArgumentException($"views have 1 or 3 channels, not {channels}");
        if (steps.Length == 0) throw new ArgumentException("a view pipeline needs at least one step");
        var sized = steps.OfType<ISizedTransform>().LastOrDefault()
            ?? throw new ArgumentException("a view pipeline needs a crop (RandomResizedCrop or CenterCrop) to fix its size");
        if (steps[^1] is Normalize n && n.Channels != channels)
            throw new ArgumentException($"Normalize has {n.Channels} channels, the view {channels}");
        Steps = steps; Channels = channels; Height = sized.OutputHeight; Width = sized.OutputWidth;
    }

    static int ChannelsOf(IImageTransform[] steps) => steps.Length > 0 && steps[^1] is Normalize n ? n.Channels
        : throw new ArgumentException("without a final Normalize, give the channel count: new Compose(channels, steps)");

    public void Apply(RawImage image, Generator rng, Span<float> destination)
    {
        if (destination.Length < Channels * Height * Width)
            throw new ArgumentException($"destination holds {destination.Length} floats, the view needs {Channels}×{Height}×{Width}");
        var work = workingImage ??= new FloatImage();
        int first = 0;
        if (Steps[0] is ISourceCrop crop) { crop.LoadAndApply(image, Channels, work, rng); first = 1; }
        else work.Load(image, Channels);
        int last = Steps[^1] is Normalize ? Steps.Count - 1 : Steps.Count;
        for (int i = first; i < last; i++) Steps[i].Apply(work, rng);
        if (work.Channels != Channels || work.Height != Height || work.Width != Width)
            throw new InvalidOperationException($"pipeline produced {work}, expected ({Channels}, {Height}, {Width})");
        if (last < Steps.Count) ((Normalize)Steps[^1]).WriteTo(work, destination);
        else work.Pixels.CopyTo(destination);
    }

    public override string ToString() => $"Compose({Channels}×{Height}×{Width}: {string.Join(", ", Steps)})";
}
