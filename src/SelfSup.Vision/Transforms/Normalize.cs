using SelfSup.Engine;

namespace SelfSup.Vision.Transforms;

/// <summary>(x − Mean[c]) / Std[c] per channel (torchvision's Normalize). In a <see cref="Compose"/> it is the last step
/// and writes straight into the view's destination.</summary>
public sealed record Normalize(float[] Mean, float[] Std) : IImageTransform
{
    public int Channels => Mean.Length;

    /// <summary>ImageNet statistics (torchvision's reference scripts).</summary>
    public static Normalize ImageNet { get; } = new([0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f]);
    /// <summary>CIFAR-10 training-set statistics.</summary>
    public static Normalize Cifar10 { get; } = new([0.4914f, 0.4822f, 0.4465f], [0.2470f, 0.2435f, 0.2616f]);
    /// <summary>Fashion-MNIST training-set statistics.</summary>
    public static Normalize FashionMnist { get; } = new([0.2860f], [0.3530f]);

    /// <summary>The statistics a view of this size and channel count uses: grey → Fashion-MNIST; RGB ≤ 64 px → CIFAR-10;
    /// larger RGB → ImageNet.</summary>
    public static Normalize For(int imageSize, int channels) =>
        channels == 1 ? FashionMnist : imageSize <= ViewParts.SmallImageSize ? Cifar10 : ImageNet;

    /// <summary>Mean 0, std 1: the view keeps its [0, 1] values.</summary>
    public static Normalize Identity(int channels) => new(new float[channels], Enumerable.Repeat(1f, channels).ToArray());

    public void Apply(FloatImage image, Generator rng) => WriteTo(image, image.Pixels);

    /// <summary>Writes the normalised planes of <paramref name="image"/> into <paramref name="destination"/> (C·H·W floats).</summary>
    public void WriteTo(FloatImage image, Span<float> destination)
    {
        if (image.Channels != Channels) throw new InvalidOperationException($"normalising {Channels} channels, but the image is {image}");
        if (Mean.Length != Std.Length) throw new InvalidOperationException("mean and std differ in length");
        int plane = image.PlaneSize;
        for (int c = 0; c < Channels; c++) PlaneMath.Normalize(image.Plane(c), Mean[c], Std[c], destination.Slice(c * plane, plane));
    }

    public override string ToString() => $"Normalize {{ Mean = [{string.Join(", ", Mean)}], Std = [{string.Join(", ", Std)}] }}";
}
