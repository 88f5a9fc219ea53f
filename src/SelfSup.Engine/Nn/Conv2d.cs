namespace SelfSup.Engine.Nn;

/// <summary>2-D convolution over (N, C, H, W) with a square kernel; weight (out, in/groups, k, k), optional bias,
/// torch's default init (<see cref="Init.TorchDefault"/>; ResNet re-initialises with Kaiming normal).</summary>
public sealed class Conv2d : UnaryModule
{
    public int InChannels { get; }
    public int OutChannels { get; }
    public int KernelSize { get; }
    public int Stride { get; }
    public int Padding { get; }
    public int Groups { get; }
    public Tensor Weight { get; }
    public Tensor? Bias { get; }

    public Conv2d(int inChannels, int outChannels, int kernelSize, Generator rng, int stride = 1, int padding = 0, int groups = 1, bool bias = true)
    {
        if (inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"channels {inChannels}→{outChannels} are not divisible by groups {groups}");
        InChannels = inChannels; OutChannels = outChannels; KernelSize = kernelSize;
        Stride = stride; Padding = padding; Groups = groups;
        Weight = Parameter("weight", Tensor.Zeros(outChannels, inChannels / groups, kernelSize, kernelSize));
        if (bias) Bias = Parameter("bias", Tensor.Zeros(outChannels));
        Init.TorchDefault(Weight, Bias, rng);
    }

    /// <summary>(N, in, H, W) → (N, out, (H + 2p − k)/s + 1, (W + 2p − k)/s + 1).</summary>
    public override Tensor Forward(Tensor x) => Ops.Conv2d(x, Weight, Bias, Stride, Padding, Groups);
}
