namespace SelfSup.Training;

/// <summary>A method's options and the optimiser it trains with, as one of its presets gives them.</summary>
public sealed record Preset(MethodOptions Method, OptimizerDefaults Optimizer);

/// <summary>
/// Everything about one method that is not its computation (that is the <see cref="SslMethod"/> in Methods): its name and
/// paper, its paper and small-image presets (options and optimiser), the views it takes (built from Vision's transforms,
/// which know no method), and how it adjusts to the batch size and backbone a run asks for. Adding a method is its
/// <see cref="SslMethod"/> with its options record, and its recipe here, listed in <see cref="MethodRecipes.All"/>.
/// </summary>
public abstract class MethodRecipe
{
    /// <summary>The registry name (<c>--method</c>), lower case.</summary>
    public abstract string Name { get; }
    /// <summary>The paper, as "Authors year, Title (venue)".</summary>
    public abstract string Citation { get; }
    /// <summary>What the method does, in one line (for <c>selfsup methods</c>).</summary>
    public abstract string Summary { get; }

    /// <summary>The paper's ImageNet recipe.</summary>
    public abstract Preset Paper();
    /// <summary>The recipe for images of 64 px or less (CIFAR stem, the official CIFAR code's choices where it has some).</summary>
    public abstract Preset Small();
    /// <summary><see cref="Small"/> or <see cref="Paper"/>.</summary>
    public Preset Defaults(bool small) => small ? Small() : Paper();

    /// <summary>The training views for views of <paramref name="size"/>² with <paramref name="channels"/> channels.</summary>
    public abstract MultiView Views(int size, int channels);

    /// <summary>The preset for the backbone a run asks for: by default the preset with that backbone; a method whose recipe
    /// depends on the backbone (MoCo v3's ViTs) picks its variant here.</summary>
    public virtual Preset ForBackbone(Preset preset, BackboneOptions backbone, bool small) =>
        preset with { Method = preset.Method with { Backbone = backbone } };

    /// <summary>The options for batch size <paramref name="batch"/> (e.g. a queue rounded to a multiple of it).</summary>
    public virtual MethodOptions ForBatch(MethodOptions options, int batch) => options;

    /// <summary>Whether the paper's multi-device code normalises batch norm over the global batch (SyncBN: SimCLR's global
    /// BN, BYOL's and Barlow Twins' and MoCo v3's converted layers); on several ranks such a recipe synchronises batch norm
    /// without <c>--sync-bn</c>.</summary>
    public virtual bool GlobalBatchNorm => false;

    /// <summary>Whether batch norm is the method's own per-device mechanism (MoCo's and DenseCL's shuffling BN), which
    /// <c>--sync-bn</c> would undo.</summary>
    public virtual bool ShufflesBatchNorm => false;

    /// <summary>The options with shuffling BN in <paramref name="splits"/> groups (only where <see cref="ShufflesBatchNorm"/>).</summary>
    public virtual MethodOptions WithBnSplits(MethodOptions options, int splits) =>
        throw new ArgumentException($"--bn-splits applies to {string.Join(", ", MethodRecipes.All.Where(r => r.ShufflesBatchNorm).Select(r => r.Name).Distinct())} only, not {Name}");

    /// <summary>Whether <c>--head-layers</c> applies (SimCLR v1/v2 heads).</summary>
    public virtual bool HasHeadLayers => false;

    /// <summary>The options with a projection head of <paramref name="layers"/> layers (only where <see cref="HasHeadLayers"/>).</summary>
    public virtual MethodOptions WithHeadLayers(MethodOptions options, int layers) =>
        throw new ArgumentException($"--head-layers applies to {string.Join(", ", MethodRecipes.All.Where(r => r.HasHeadLayers).Select(r => r.Name))} only, not {Name}");

    /// <summary>Builds the method. <paramref name="datasetSize"/>: training images (InstDisc's memory bank has a row each).</summary>
    public abstract SslMethod Create(MethodOptions options, Generator rng, int datasetSize = 0);

    /// <summary><paramref name="options"/> as this method's own options type, or a clear error.</summary>
    protected T OptionsOf<T>(MethodOptions options) where T : MethodOptions =>
        options as T ?? throw new ArgumentException($"method '{Name}' does not take {options.GetType().Name}");

    /// <summary>The small presets' encoder: a ResNet-18 with the CIFAR stem.</summary>
    protected static ResNet.Options SmallBackbone => new(Depth: 18, Stem: ResNetStem.Cifar, NumClasses: 0);
}
