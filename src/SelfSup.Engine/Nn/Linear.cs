namespace SelfSup.Engine.Nn;

/// <summary>y = x·Wᵀ + b over the last dim: (..., in) → (..., out). Weight (out, in) and bias (out) with torch's
/// default init (U(±1/√in) for both, see <see cref="Init.TorchDefault"/>).</summary>
public sealed class Linear : UnaryModule
{
    public int InFeatures { get; }
    public int OutFeatures { get; }
    public Tensor Weight { get; }
    public Tensor? Bias { get; }

    public Linear(int inFeatures, int outFeatures, Generator rng, bool bias = true)
    {
        InFeatures = inFeatures; OutFeatures = outFeatures;
        Weight = Parameter("weight", Tensor.Zeros(outFeatures, inFeatures));
        if (bias) Bias = Parameter("bias", Tensor.Zeros(outFeatures));
        Init.TorchDefault(Weight, Bias, rng);
    }

    public override Tensor Forward(Tensor x) => Ops.Linear(x, Weight, Bias);       // (..., in) → (..., out)
}
