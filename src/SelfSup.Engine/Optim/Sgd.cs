using System.Numerics.Tensors;

namespace SelfSup.Engine.Optim;

/// <summary>
/// Stochastic gradient descent with momentum, exactly torch.optim.SGD:
/// g ← g + wd·p; buf ← g at the first step, else μ·buf + (1 − dampening)·g;
/// update = nesterov ? g + μ·buf : buf; p ← p − lr·update.
/// Weight decay is coupled (an L2 term in the gradient).
/// </summary>
public sealed class Sgd : Optimizer
{
    const int MomentumBuffer = 0;

    /// <summary>Named parameters in one group; with excludeBiasAndNorm, rank-1 parameters (biases, norm weights) go to a second group without weight decay.</summary>
    public Sgd(IEnumerable<(string Name, Tensor Param)> parameters, float lr, float momentum = 0f, float weightDecay = 0f,
        bool nesterov = false, float dampening = 0f, bool excludeBiasAndNorm = false)
        : this(BuildGroups(parameters, excludeBiasAndNorm, lr, (g, excluded) =>
        {
            g.Momentum = momentum; g.Dampening = dampening; g.Nesterov = nesterov;
            g.WeightDecay = excluded ? 0f : weightDecay;
        }))
    {
    }

    /// <summary>Explicit groups, each with its own lr, momentum, weight decay, Nesterov flag.</summary>
    public Sgd(IEnumerable<ParamGroup> groups) : base(groups)
    {
        foreach (var g in Groups)
        {
            if (g.Nesterov && (g.Momentum <= 0 || g.Dampening != 0))
                throw new ArgumentException("Nesterov momentum requires a momentum > 0 and zero dampening");
        }
    }

    protected override IReadOnlyList<string> BufferNames { get; } = ["momentum_buffer"];
    protected override IReadOnlyList<GroupField> Hyperparameters { get; } =
        [GroupField.Momentum, GroupField.Dampening, GroupField.Nesterov];

    protected override void Update(ParamGroup group, int index, int step, Span<float> param, ReadOnlySpan<float> grad)
    {
        ReadOnlySpan<float> d = grad;
        if (group.WeightDecay != 0)
        {
            var decayed = Scratch(param.Length);
            TensorPrimitives.MultiplyAdd(param, group.WeightDecay, grad, decayed);        // g + wd·p
            d = decayed;
        }
        float mu = group.Momentum;
        if (mu != 0)
        {
            var buf = Buffer(MomentumBuffer, index);
            if (buf is null) buf = CreateBuffer(MomentumBuffer, index, d);                // first step: buf = g
            else if (group.Dampening == 0) TensorPrimitives.MultiplyAdd(buf, mu, d, buf);  // μ·buf + g
            else
            {
                TensorPrimitives.Multiply(buf, mu, buf);
                TensorPrimitives.MultiplyAdd(d, 1f - group.Dampening, buf, buf);
            }
            if (group.Nesterov)
            {
                var nesterov = Scratch(param.Length);                                    // may alias d: same index, in place
                TensorPrimitives.MultiplyAdd(buf, mu, d, nesterov);                      // g + μ·buf
                d = nesterov;
            }
            else d = buf;
        }
        TensorPrimitives.MultiplyAdd(d, -group.Lr, param, param);                         // p − lr·update
    }
}
