namespace SelfSup.Methods.Components;

/// <summary>A backbone followed by a head (children "backbone" and "head"): f(x) = head(backbone(x)).
/// Used for momentum copies, whose parameter names must mirror the online encoder's.</summary>
public sealed class Encoder : UnaryModule
{
    public Backbone Backbone { get; }
    public UnaryModule Head { get; }

    public Encoder(Backbone backbone, UnaryModule head)
    {
        Backbone = Child("backbone", backbone);
        Head = Child("head", head);
    }

    public override Tensor Forward(Tensor x) => Head.Forward(Backbone.Forward(x));   // (N, C, H, W) → (N, D)
}
