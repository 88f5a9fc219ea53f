namespace SelfSup.Engine.Nn;

/// <summary>Applies its children in order; they are named "0", "1", ... as in torch's nn.Sequential, so state-dict
/// keys read <c>downsample.0.weight</c>, <c>1.running_mean</c>.</summary>
public class Sequential : UnaryModule
{
    readonly List<UnaryModule> layers = [];

    public Sequential(params UnaryModule[] layers)
    {
        foreach (var layer in layers) Append(layer);
    }

    /// <summary>Adds <paramref name="layer"/> as the next child (named by its position).</summary>
    protected void Append(UnaryModule layer) => layers.Add(Child(layers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), layer));

    public int Count => layers.Count;
    public UnaryModule this[int index] => layers[index];
    public IReadOnlyList<UnaryModule> Layers => layers;

    public override Tensor Forward(Tensor x)
    {
        foreach (var layer in layers) x = layer.Forward(x);
        return x;
    }
}
