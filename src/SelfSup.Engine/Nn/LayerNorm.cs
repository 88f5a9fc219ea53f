namespace SelfSup.Engine.Nn;

/// <summary>Layer normalisation (Ba et al. 2016) over the last dim, with weight 1s and bias 0s (timm's ViT init).
/// ViTs use eps 1e-6; torch's default is 1e-5.</summary>
public sealed class LayerNorm : UnaryModule
{
    public int Dim { get; }
    public float Eps { get; }
    public Tensor? Weight { get; }
    public Tensor? Bias { get; }

    public LayerNorm(int dim, float eps = 1e-5f, bool affine = true)
    {
        Dim = dim; Eps = eps;
        if (affine)
        {
            Weight = Parameter("weight", Tensor.Ones(dim));
            Bias = Parameter("bias", Tensor.Zeros(dim));
        }
    }

    public override Tensor Forward(Tensor x) => Ops.LayerNorm(x, [Dim], Weight, Bias, Eps);   // (..., D) → (..., D)
}
