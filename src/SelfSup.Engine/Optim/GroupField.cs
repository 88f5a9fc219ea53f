namespace SelfSup.Engine.Optim;

/// <summary>
/// One hyperparameter of a <see cref="ParamGroup"/> as it appears in an optimiser state dict
/// (<c>group.{i}.{Key}</c>, a 0-d float tensor; booleans as 0/1). Optimisers list the fields they read,
/// so a state dict holds exactly those and loading checks them all.
/// </summary>
public sealed class GroupField
{
    readonly Func<ParamGroup, float> get;
    readonly Action<ParamGroup, float> set;

    GroupField(string key, Func<ParamGroup, float> get, Action<ParamGroup, float> set)
    {
        Key = key; this.get = get; this.set = set;
    }

    public string Key { get; }
    public float Get(ParamGroup group) => get(group);
    public void Set(ParamGroup group, float value) => set(group, value);

    public static readonly GroupField Lr = new("lr", g => g.Lr, (g, v) => g.Lr = v);
    public static readonly GroupField LrScale = new("lr_scale", g => g.LrScale, (g, v) => g.LrScale = v);
    public static readonly GroupField WeightDecay = new("weight_decay", g => g.WeightDecay, (g, v) => g.WeightDecay = v);
    public static readonly GroupField Momentum = new("momentum", g => g.Momentum, (g, v) => g.Momentum = v);
    public static readonly GroupField Dampening = new("dampening", g => g.Dampening, (g, v) => g.Dampening = v);
    public static readonly GroupField Nesterov = new("nesterov", g => g.Nesterov ? 1 : 0, (g, v) => g.Nesterov = v != 0);
    public static readonly GroupField LarsAdaptation = new("lars_adaptation", g => g.LarsAdaptation ? 1 : 0, (g, v) => g.LarsAdaptation = v != 0);
    public static readonly GroupField TrustCoefficient = new("trust_coefficient", g => g.TrustCoefficient, (g, v) => g.TrustCoefficient = v);
    public static readonly GroupField Beta1 = new("beta1", g => g.Beta1, (g, v) => g.Beta1 = v);
    public static readonly GroupField Beta2 = new("beta2", g => g.Beta2, (g, v) => g.Beta2 = v);
    public static readonly GroupField Eps = new("eps", g => g.Eps, (g, v) => g.Eps = v);
}
