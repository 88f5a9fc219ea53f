namespace SelfSup.Engine.Optim;

/// <summary>
/// Parameters that share hyperparameters (torch's param_groups). Every optimiser reads
/// <see cref="Lr"/> and <see cref="WeightDecay"/>; the others are read only by the optimisers named on
/// them. Hyperparameters are mutable between steps, as in torch.
/// </summary>
public sealed class ParamGroup
{
    readonly List<(string Name, Tensor Param)> parameters;

    public ParamGroup(IEnumerable<(string Name, Tensor Param)> parameters)
    {
        this.parameters = [.. parameters];
        foreach (var (name, p) in this.parameters)
        {
            if (!p.IsContiguous) throw new ArgumentException($"parameter '{name}' is not contiguous; optimisers update parameters in place");
        }
    }

    /// <summary>The group's parameters with their state-dict names, in update order.</summary>
    public IReadOnlyList<(string Name, Tensor Param)> Parameters => parameters;
    public int Count => parameters.Count;

    /// <summary>Current learning rate (set by <see cref="Optimizer.Lr"/> as base lr × <see cref="LrScale"/>).</summary>
    public float Lr { get; set; }
    /// <summary>This group's lr relative to the optimiser's base lr (e.g. 10× for a fine-tuned head, 0 to freeze).</summary>
    public float LrScale { get; set; } = 1f;
    /// <summary>L2 coefficient: coupled (added to the gradient) in SGD and LARS, decoupled in AdamW.</summary>
    public float WeightDecay { get; set; }

    /// <summary>SGD, LARS: momentum coefficient μ (0 = plain SGD).</summary>
    public float Momentum { get; set; }
    /// <summary>SGD: dampening of the gradient in the momentum buffer (torch's; 0 in every recipe here).</summary>
    public float Dampening { get; set; }
    /// <summary>SGD: Nesterov momentum (update = g + μ·buf).</summary>
    public bool Nesterov { get; set; }

    /// <summary>LARS: scale the gradient by the layer-wise trust ratio (false for biases and norm weights).</summary>
    public bool LarsAdaptation { get; set; } = true;
    /// <summary>LARS: trust coefficient η in η·‖p‖/‖g‖.</summary>
    public float TrustCoefficient { get; set; } = 1e-3f;

    /// <summary>AdamW: decay rate of the first moment.</summary>
    public float Beta1 { get; set; } = 0.9f;
    /// <summary>AdamW: decay rate of the second moment.</summary>
    public float Beta2 { get; set; } = 0.999f;
    /// <summary>AdamW: added to √v̂ in the denominator.</summary>
    public float Eps { get; set; } = 1e-8f;

    /// <summary>
    /// The default exclusion rule: rank-1 parameters (biases, BatchNorm/LayerNorm weights) get no weight
    /// decay and no LARS adaptation, as the SimCLR, BYOL and Barlow Twins official code effectively do
    /// (Barlow Twins' <c>exclude_bias_and_norm</c> is <c>p.ndim == 1</c>).
    /// </summary>
    public static bool IsBiasOrNorm(Tensor p) => p.Rank == 1;

    /// <summary>
    /// Splits parameters into (rank ≥ 2 or 0: decayed, rank 1: excluded), keeping order within each part.
    /// Either list may be empty.
    /// </summary>
    public static (List<(string Name, Tensor Param)> Decayed, List<(string Name, Tensor Param)> Excluded)
        SplitBiasAndNorm(IEnumerable<(string Name, Tensor Param)> parameters)
    {
        List<(string, Tensor)> decayed = [], excluded = [];
        foreach (var np in parameters) (IsBiasOrNorm(np.Param) ? excluded : decayed).Add(np);
        return (decayed, excluded);
    }
}
