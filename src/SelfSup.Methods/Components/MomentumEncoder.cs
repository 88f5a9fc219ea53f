namespace SelfSup.Methods.Components;

/// <summary>
/// The momentum ("key", "target") copy of an encoder (MoCo, He et al. 2020, Eq. 2: θ_k ← m·θ_k + (1−m)·θ_q).
/// As in the official MoCo code only parameters are averaged: the copy's BatchNorm buffers (running statistics)
/// evolve from its own forward passes in train mode and are never copied from the query encoder.
/// </summary>
public static class MomentumEncoder
{
    /// <summary>Makes <paramref name="copy"/> an exact copy of <paramref name="source"/> (parameters and buffers) and
    /// freezes its parameters (RequiresGrad false: the key encoder gets no gradient).</summary>
    public static void InitialiseCopy(Module source, Module copy)
    {
        copy.LoadStateDict(source.StateDict());
        foreach (var p in copy.Parameters()) p.RequiresGrad = false;
    }

    /// <summary>θ_to ← m·θ_to + (1−m)·θ_from for every parameter, matched by name (the two modules must have the same
    /// tree). Runs outside autograd; call after the optimiser step.</summary>
    public static void Update(Module from, Module to, float m)
    {
        using var _ = Grad.Disabled();
        var source = from.NamedParameters().ToList();
        var target = to.NamedParameters().ToList();
        if (source.Count != target.Count) throw new ArgumentException($"momentum update: {source.Count} parameters vs {target.Count}");
        for (int i = 0; i < source.Count; i++)
        {
            var (name, q) = source[i]; var (nameK, k) = target[i];
            if (name != nameK || !ShapeUtil.Equal(q.Shape, k.Shape))
                throw new ArgumentException($"momentum update: '{name}' {ShapeUtil.Format(q.Shape)} does not match '{nameK}' {ShapeUtil.Format(k.Shape)}");
            var qs = q.Contiguous().Span; var ks = k.Span;
            for (int j = 0; j < ks.Length; j++) ks[j] = m * ks[j] + (1 - m) * qs[j];
        }
    }

    /// <summary>The momentum at <paramref name="step"/>: constant, or cosine-increased from <paramref name="baseM"/> to 1
    /// over <paramref name="totalSteps"/> (BYOL, Grill et al. 2020: τ = 1 − (1 − τ_base)(cos(πk/K) + 1)/2).</summary>
    public static float Momentum(float baseM, bool cosine, int step, int totalSteps) =>
        cosine && totalSteps > 0 ? new CosineMomentum(baseM, totalSteps).At(step) : baseM;
}
