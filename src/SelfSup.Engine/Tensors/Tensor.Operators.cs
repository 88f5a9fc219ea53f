namespace SelfSup.Engine;

/// <summary>Operators and method sugar that forward to <see cref="Ops"/>, so tensor code reads like PyTorch.</summary>
public sealed partial class Tensor
{
    public static Tensor operator +(Tensor a, Tensor b) => Ops.Add(a, b);
    public static Tensor operator -(Tensor a, Tensor b) => Ops.Sub(a, b);
    public static Tensor operator *(Tensor a, Tensor b) => Ops.Mul(a, b);
    public static Tensor operator /(Tensor a, Tensor b) => Ops.Div(a, b);
    public static Tensor operator +(Tensor a, float s) => Ops.Add(a, s);
    public static Tensor operator +(float s, Tensor a) => Ops.Add(a, s);
    public static Tensor operator -(Tensor a, float s) => Ops.Add(a, -s);
    public static Tensor operator -(float s, Tensor a) => Ops.RSub(s, a);
    public static Tensor operator *(Tensor a, float s) => Ops.Mul(a, s);
    public static Tensor operator *(float s, Tensor a) => Ops.Mul(a, s);
    public static Tensor operator /(Tensor a, float s) => Ops.Mul(a, 1f / s);
    public static Tensor operator -(Tensor a) => Ops.Neg(a);

    public Tensor Reshape(params int[] shape) => Ops.Reshape(this, shape);
    public Tensor Permute(params int[] perm) => Ops.Permute(this, perm);
    public Tensor Transpose(int dim0, int dim1) => Ops.Transpose(this, dim0, dim1);
    /// <summary>The transpose of a matrix.</summary>
    public Tensor T => Ops.Transpose(this, 0, 1);
    public Tensor Narrow(int dim, int start, int length) => Ops.Narrow(this, dim, start, length);
    public Tensor Expand(params int[] shape) => Ops.Expand(this, shape);
    public Tensor Unsqueeze(int dim) => Ops.Unsqueeze(this, dim);
    public Tensor Squeeze(int dim) => Ops.Squeeze(this, dim);
    public Tensor Flatten(int startDim = 1) => Ops.Flatten(this, startDim);
    public Tensor Sum() => Ops.Sum(this);
    public Tensor Sum(int dim, bool keepDim = false) => Ops.Sum(this, dim, keepDim);
    public Tensor Mean() => Ops.Mean(this);
    public Tensor Mean(int dim, bool keepDim = false) => Ops.Mean(this, dim, keepDim);
    public Tensor Exp() => Ops.Exp(this);
    public Tensor Log() => Ops.Log(this);
    public Tensor Sqrt() => Ops.Sqrt(this);
    public Tensor Pow(float p) => Ops.Pow(this, p);
    public Tensor Relu() => Ops.Relu(this);
}
