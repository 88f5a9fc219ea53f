using System.Numerics.Tensors;

namespace SelfSup.Engine.Optim;

/// <summary>
/// Adam with decoupled weight decay (Loshchilov &amp; Hutter 2019, "Decoupled Weight Decay
/// Regularization"), exactly torch.optim.AdamW (amsgrad off): at this parameter's step t,
/// p ← p − lr·wd·p; m ← β₁·m + (1 − β₁)·g; v ← β₂·v + (1 − β₂)·g²;
/// p ← p − (lr / (1 − β₁ᵗ))·m / (√v / √(1 − β₂ᵗ) + eps).
/// </summary>
public sealed class AdamW : Optimizer
{
    const int ExpAvg = 0, ExpAvgSq = 1;

    /// <summary>Named parameters in one group; with excludeBiasAndNorm, rank-1 parameters go to a second group without weight decay (timm, MoCo v3; off in torch).</summary>
    public AdamW(IEnumerable<(string Name, Tensor Param)> parameters, float lr = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f,
        float eps = 1e-8f, float weightDecay = 1e-2f, bool excludeBiasAndNorm = false)
        : this(BuildGroups(parameters, excludeBiasAndNorm, lr, (g, excluded) =>
        {
            g.Beta1 = beta1; g.Beta2 = beta2; g.Eps = eps;
            g.WeightDecay = excluded ? 0f : weightDecay;
        }))
    {
    }

    /// <summary>Explicit groups, each with its own lr, betas, eps and weight decay.</summary>
    public AdamW(IEnumerable<ParamGroup> groups) : base(groups) { }

    protected override IReadOnlyList<string> BufferNames { get; } = ["exp_avg", "exp_avg_sq"];
    protected override IReadOnlyList<GroupField> Hyperparameters { get; } = [GroupField.Beta1, GroupField.Beta2, GroupField.Eps];

    protected override void Update(ParamGroup group, int index, int step, Span<float> param, ReadOnlySpan<float> grad)
    {
        float lr = group.Lr, beta1 = group.Beta1, beta2 = group.Beta2;
        var m = Buffer(ExpAvg, index) ?? CreateBuffer(ExpAvg, index, param.Length);
        var v = Buffer(ExpAvgSq, index) ?? CreateBuffer(ExpAvgSq, index, param.Length);
        var work = Scratch(param.Length);

        if (group.WeightDecay != 0) TensorPrimitives.Multiply(param, 1f - lr * group.WeightDecay, param);  // p·(1 − lr·wd)
        TensorPrimitives.Multiply(m, beta1, m);
        TensorPrimitives.MultiplyAdd(grad, 1f - beta1, m, m);                                             // β₁·m + (1 − β₁)·g
        TensorPrimitives.Multiply(grad, grad, work);
        TensorPrimitives.Multiply(v, beta2, v);
        TensorPrimitives.MultiplyAdd(work, 1f - beta2, v, v);                                             // β₂·v + (1 − β₂)·g²

        double biasCorrection1 = 1 - Math.Pow(beta1, step);
        double biasCorrection2Sqrt = Math.Sqrt(1 - Math.Pow(beta2, step));
        float stepSize = (float)(lr / biasCorrection1);
        TensorPrimitives.Sqrt(v, work);
        TensorPrimitives.Divide(work, (float)biasCorrection2Sqrt, work);
        TensorPrimitives.Add(work, group.Eps, work);                                                      // √v̂ + eps
        TensorPrimitives.Divide(m, work, work);
        TensorPrimitives.MultiplyAdd(work, -stepSize, param, param);                                      // p − step·m/denom
    }
}
