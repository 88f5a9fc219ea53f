namespace SelfSup.Training;

/// <summary>Principal components of a set of row vectors, and the rows projected onto them.</summary>
/// <remarks>Variances are the eigenvalues of the covariance; TotalVariance is its trace (so Variances[i] / TotalVariance is
/// the fraction of variance component i explains).</remarks>
public sealed record PcaResult(double[][] Components, double[] Variances, double TotalVariance, double[][] Projected);

/// <summary>
/// Principal component analysis by power iteration on the covariance C = XcᵀXc / n of the centred rows, without forming
/// the D×D matrix (C·v = Xcᵀ(Xc·v)); each later component is kept orthogonal to the earlier ones (deflation by
/// Gram–Schmidt). Deterministic: the start vector is fixed. Accumulates in double.
/// </summary>
public static class Pca
{
    /// <param name="rows">n rows of dimension D (row-major, n·D values).</param>
    /// <param name="dim">D.</param>
    /// <param name="components">How many components (at most D).</param>
    /// <param name="iterations">Upper bound on power iterations per component; stops early once the direction settles.</param>
    public static PcaResult Fit(ReadOnlySpan<float> rows, int dim, int components = 2, int iterations = 500)
    {
        if (dim <= 0 || rows.Length % dim != 0) throw new ArgumentException($"PCA: {rows.Length} values are not rows of {dim}");
        int n = rows.Length / dim;
        if (n == 0) throw new ArgumentException("PCA needs at least one row");
        components = Math.Min(components, dim);
        var mean = new double[dim];
        for (int i = 0; i < n; i++) for (int d = 0; d < dim; d++) mean[d] += rows[i * dim + d];
        for (int d = 0; d < dim; d++) mean[d] /= n;
        var x = new double[n * dim];                                  // centred rows
        double total = 0;
        for (int i = 0; i < n; i++)
            for (int d = 0; d < dim; d++) { x[i * dim + d] = rows[i * dim + d] - mean[d]; total += x[i * dim + d] * x[i * dim + d]; }
        total /= n;

        var found = new double[components][];
        var variances = new double[components];
        var xv = new double[n];
        for (int c = 0; c < components; c++)
        {
            var v = new double[dim];
            for (int d = 0; d < dim; d++) v[d] = 1.0 + 0.01 * ((d * 7919 + c * 104729) % 101);   // fixed, not orthogonal to much
            Orthonormalise(v, found, c);
            double variance = 0;
            for (int it = 0; it < iterations; it++)
            {
                var next = Covariance(x, n, dim, v, xv);
                variance = Orthonormalise(next, found, c);           // ‖C·v‖ → the eigenvalue as v converges
                double change = 0;
                for (int d = 0; d < dim; d++) change = Math.Max(change, Math.Abs(next[d] - v[d]));
                v = next;
                if (change < 1e-8) break;
            }
            found[c] = v; variances[c] = Math.Max(variance, 0);
        }

        var projected = new double[n][];
        for (int i = 0; i < n; i++)
        {
            projected[i] = new double[components];
            for (int c = 0; c < components; c++)
            {
                double s = 0;
                for (int d = 0; d < dim; d++) s += x[i * dim + d] * found[c][d];
                projected[i][c] = s;
            }
        }
        return new PcaResult(found, variances, total, projected);
    }

    /// <summary>C·v = Xcᵀ(Xc·v) / n.</summary>
    static double[] Covariance(double[] x, int n, int dim, double[] v, double[] xv)
    {
        for (int i = 0; i < n; i++)
        {
            double s = 0;
            for (int d = 0; d < dim; d++) s += x[i * dim + d] * v[d];
            xv[i] = s;
        }
        var result = new double[dim];
        for (int i = 0; i < n; i++)
        {
            double s = xv[i] / n;
            for (int d = 0; d < dim; d++) result[d] += x[i * dim + d] * s;
        }
        return result;
    }

    /// <summary>Removes the components along the first <paramref name="count"/> found directions, then scales to length 1;
    /// returns the length before scaling.</summary>
    static double Orthonormalise(double[] v, double[][] found, int count)
    {
        for (int c = 0; c < count; c++)
        {
            double p = Dot(v, found[c]);
            for (int d = 0; d < v.Length; d++) v[d] -= p * found[c][d];
        }
        double norm = Math.Sqrt(Dot(v, v));
        if (norm < 1e-300) { Array.Clear(v); v[count % v.Length] = 1; return 0; }
        for (int d = 0; d < v.Length; d++) v[d] /= norm;
        return norm;
    }

    static double Dot(double[] a, double[] b)
    {
        double s = 0;
        for (int d = 0; d < a.Length; d++) s += a[d] * b[d];
        return s;
    }
}
