namespace SelfSup.Methods.Components;

/// <summary>
/// Instance discrimination's memory bank (Wu et al. 2018, §3.1): one D-dim feature per training image, V = {v_j}.
/// Initialised uniform in ±1/√(D/3) as the official NCEAverage (expected norm 1) and then L2-normalised; after each
/// step the rows of the batch become v_i ← normalise(m·v_i + (1−m)·f_i) (§3.1 uses m = 0.5).
/// </summary>
public sealed class MemoryBank
{
    /// <summary>(n, D), unit rows; a plain tensor outside autograd.</summary>
    public Tensor Rows { get; }
    public int Count => Rows.Shape[0];
    public int Dim => Rows.Shape[1];

    public MemoryBank(int count, int dim, Generator rng)
    {
        if (count <= 0 || dim <= 0) throw new ArgumentException($"memory bank needs a positive size and dim, got {count}×{dim}");
        float stdv = 1f / MathF.Sqrt(dim / 3f);
        using var _ = Grad.Disabled();
        Rows = Ops.Normalize(Tensor.Uniform(rng, -stdv, stdv, count, dim), 1);  // (n, D)
    }

    /// <summary>v_i ← (m·v_i + (1−m)·f_i) / ‖·‖ for each i in <paramref name="indices"/>, f_i the matching row of
    /// <paramref name="features"/> (B, D). Later duplicates win, as torch's index_copy_.</summary>
    public void Update(int[] indices, Tensor features, float m)
    {
        if (features.Rank != 2 || features.Shape[0] != indices.Length || features.Shape[1] != Dim)
            throw new ArgumentException($"bank update with {indices.Length} indices and features {ShapeUtil.Format(features.Shape)} (dim {Dim})");
        var f = features.Contiguous().Span;
        var rows = Rows.Span;
        var updated = new float[indices.Length * Dim];                         // all from the old rows, then written
        for (int b = 0; b < indices.Length; b++)
        {
            int i = indices[b];
            if ((uint)i >= (uint)Count) throw new ArgumentException($"bank index {i} out of range for a bank of {Count}");
            var v = rows.Slice(i * Dim, Dim); var fb = f.Slice(b * Dim, Dim); var u = updated.AsSpan(b * Dim, Dim);
            double norm2 = 0;
            for (int j = 0; j < Dim; j++) { u[j] = m * v[j] + (1 - m) * fb[j]; norm2 += (double)u[j] * u[j]; }
            float inv = (float)(1 / Math.Sqrt(norm2));
            for (int j = 0; j < Dim; j++) u[j] *= inv;
        }
        for (int b = 0; b < indices.Length; b++) updated.AsSpan(b * Dim, Dim).CopyTo(rows.Slice(indices[b] * Dim, Dim));
    }
}
