using SelfSup.Engine;

namespace SelfSup.Vision.Transforms;

/// <summary>
/// One step of a view pipeline on the working image (planar float in [0, 1]). Random steps draw their parameters
/// from the generator first (a <c>Sample</c> method, torchvision's <c>get_params</c>) and then apply them
/// (an <c>Apply</c> with explicit parameters, which tests feed torchvision's own).
/// </summary>
public interface IImageTransform
{
    void Apply(FloatImage image, Generator rng);
}

/// <summary>A step whose output has a fixed size whatever the input (crops), so a pipeline knows its view size.</summary>
public interface ISizedTransform : IImageTransform
{
    int OutputHeight { get; }
    int OutputWidth { get; }
}

/// <summary>A crop that can start from the decoded image: only the window it keeps is converted to float.</summary>
public interface ISourceCrop : ISizedTransform
{
    /// <summary>Samples the crop for <paramref name="source"/>, loads that window as <paramref name="channels"/> planes
    /// into <paramref name="image"/> and finishes the step there. Same result as loading the whole image, then Apply.</summary>
    void LoadAndApply(RawImage source, int channels, FloatImage image, Generator rng);
}
