using System.Numerics.Tensors;

namespace SelfSup.Engine.Optim;

/// <summary>
/// Layer-wise adaptive rate scaling (You, Gitman &amp; Ginsburg 2017, "Large Batch Training of Convolutional
/// Networks"), in the variant of the Barlow Twins official code (facebookresearch/barlowtwins, main.py
/// <c>class LARS</c>), which is also what SimCLR's and BYOL's official LARS compute for a constant lr.
/// Per parameter with adaptation:
/// g ← g + wd·p; q = η·‖p‖/‖g‖ (q = 1 when either norm is 0); g ← q·g; buf ← μ·buf + g; p ← p − lr·buf.
/// Parameters in a group with <see cref="ParamGroup.LarsAdaptation"/> off (biases and norm weights by
/// default, in a group with weight decay 0) take a plain momentum-SGD step.
/// Deviation from SimCLR's TensorFlow LARS: there the lr is folded into the momentum buffer
/// (v ← μ·v + lr·q·g), which differs only while the lr changes (warmup, cosine); we follow the PyTorch
/// implementations (Barlow Twins, solo-learn), where the buffer holds unscaled updates.
/// </summary>
public sealed class Lars : Optimizer
{
    const int MomentumBuffer = 0;

    /// <summary>Named parameters in one group; with excludeBiasAndNorm, rank-1 parameters (biases, BN/LN weights) go to a second group with no weight decay and no adaptation (default, as in SimCLR/BYOL/Barlow Twins).</summary>
    public Lars(IEnumerable<(string Name, Tensor Param)> parameters, float lr, float momentum = 0.9f, float weightDecay = 0f,
        float trustCoefficient = 1e-3f, bool excludeBiasAndNorm = true)
        : this(BuildGroups(parameters, excludeBiasAndNorm, lr, (g, excluded) =>
        {
            g.Momentum = momentum; g.TrustCoefficient = trustCoefficient;
            g.WeightDecay = excluded ? 0f : weightDecay;
            g.LarsAdaptation = !excluded;
        }))
    {
    }

    /// <summary>Explicit groups; a group's <see cref="ParamGroup.LarsAdaptation"/> and weight decay say how it is treated.</summary>
    public Lars(IEnumerable<ParamGroup> groups) : base(groups) { }

    protected override IReadOnlyList<string> BufferNames { get; } = ["momentum_buffer"];
    protected override IReadOnlyList<GroupField> Hyperparameters { get; } =
        [GroupField.Momentum, GroupField.LarsAdaptation, GroupField.TrustCoefficient];

    /// <summary>The trust ratio q = η·‖p‖/‖g‖, or 1 when either norm is zero.</summary>
    public static float TrustRatio(ReadOnlySpan<float> param, ReadOnlySpan<float> grad, float trustCoefficient)
    {
        double paramNorm = OptimMath.Norm(param), gradNorm = OptimMath.Norm(grad);
        return paramNorm > 0 && gradNorm > 0 ? (float)(trustCoefficient * paramNorm / gradNorm) : 1f;
    }

    protected override void Update(ParamGroup group, int index, int step, Span<float> param, ReadOnlySpan<float> grad)
    {
        var d = Scratch(param.Length);
        if (group.WeightDecay != 0) TensorPrimitives.MultiplyAdd(param, group.WeightDecay, grad, d);   // g + wd·p
        else grad.CopyTo(d);
        if (group.LarsAdaptation)
        {
            float q = TrustRatio(param, d, group.TrustCoefficient);
            TensorPrimitives.Multiply(d, q, d);                                                         // q·g
        }
        ReadOnlySpan<float> update = d;
        if (group.Momentum != 0)
        {
            var buf = Buffer(MomentumBuffer, index);
            if (buf is null) buf = CreateBuffer(MomentumBuffer, index, d);                             // zeros·μ + g
            else TensorPrimitives.MultiplyAdd(buf, group.Momentum, d, buf);                             // μ·buf + g
            update = buf;
        }
        TensorPrimitives.MultiplyAdd(update, -group.Lr, param, param);                                  // p − lr·buf
    }
}
