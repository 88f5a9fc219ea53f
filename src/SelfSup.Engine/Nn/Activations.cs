namespace SelfSup.Engine.Nn;

/// <summary>max(x, 0).</summary>
public sealed class ReLU : UnaryModule
{
    public override Tensor Forward(Tensor x) => Ops.Relu(x);
}

/// <summary>The exact (erf) GELU, x·Φ(x) (Hendrycks &amp; Gimpel 2016), as torch's nn.GELU() default.</summary>
public sealed class GELU : UnaryModule
{
    public override Tensor Forward(Tensor x) => Ops.Gelu(x);
}

/// <summary>Returns its input (a placeholder that keeps torchvision's module tree, e.g. a CIFAR stem's maxpool).</summary>
public sealed class Identity : UnaryModule
{
    public override Tensor Forward(Tensor x) => x;
}

/// <summary>Collapses dims from <see cref="StartDim"/> on: (N, C, H, W) → (N, C·H·W) by default.</summary>
public sealed class Flatten(int startDim = 1) : UnaryModule
{
    public int StartDim { get; } = startDim;
    public override Tensor Forward(Tensor x) => Ops.Flatten(x, StartDim);
}

/// <summary>Zeroes each element with probability p in training and scales the rest by 1/(1−p) (Srivastava et al. 2014);
/// the identity in eval. Masks come from the given generator.</summary>
public sealed class Dropout(float p, Generator rng) : UnaryModule
{
    public float P { get; } = p;
    public override Tensor Forward(Tensor x) => Ops.Dropout(x, P, Training, rng);
}
