namespace SelfSup.Methods;

/// <summary>
/// Options common to every method; each method's record (beside the method) adds its own, with the paper's values as
/// defaults. The presets (the paper's and the small-image ones) and the optimiser are the method's recipe's, in Training.
/// Change anything with <c>with { ... }</c>; the trainer fills in <see cref="Backbone"/> from the command line.
/// </summary>
public abstract record MethodOptions
{
    /// <summary>The encoder (NumClasses is ignored: the backbone ends at the pooled features).</summary>
    public BackboneOptions Backbone { get; init; } = new ResNet.Options(Depth: 18, NumClasses: 0);
    /// <summary>Embedding dimension the loss sees (128 in InstDisc, MoCo and SimCLR; BYOL's and MoCo v3's papers use 256,
    /// Barlow Twins' 8192, which their recipes set).</summary>
    public int Dim { get; init; } = 128;
}
