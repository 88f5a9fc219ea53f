using SelfSup.Engine;
using SelfSup.Engine.Nn;

namespace SelfSup.Training;

/// <summary>
/// Whether an encoder is collapsing, from the L2-normalised features of two augmented views of the same images.
/// <see cref="Std"/>: the per-dimension standard deviation of the unit vectors, averaged over dimensions — about 1/√D
/// for features spread over the sphere and 0 when every image maps to the same point (lightly's collapse metric, after
/// Chen &amp; He 2021, "Exploring Simple Siamese Representation Learning", §4.1). <see cref="Alignment"/>: the mean
/// squared distance between an image's two views (0 is perfectly invariant); <see cref="Uniformity"/>: log of the mean of
/// exp(−2‖uᵢ − uⱼ‖²) over pairs of images (lower is more uniform; about −4 for random points of a high-dimensional
/// sphere, 0 when collapsed) — Wang &amp; Isola 2020, "Understanding Contrastive Representation Learning through Alignment
/// and Uniformity on the Hypersphere", §4 (α = 2, t = 2).
/// </summary>
/// <param name="Alignment">Null for methods of one view.</param>
public sealed record EmbeddingHealth(double Std, double? Alignment, double Uniformity, int Dim)
{
    /// <summary><see cref="Std"/> × √D: 1 when healthy, 0 when collapsed.</summary>
    public double RelativeStd => Std * Math.Sqrt(Dim);

    /// <summary>Below this <see cref="RelativeStd"/> the run warns of collapse.</summary>
    public const double CollapseWarning = 0.2;

    /// <summary>The measures of features <paramref name="first"/> (N, D) and, if given, <paramref name="second"/> (N, D)
    /// of the same images' other view; rows need not be normalised.</summary>
    public static EmbeddingHealth Of(Tensor first, Tensor? second = null)
    {
        if (first.Rank != 2 || first.Shape[0] < 2) throw new ArgumentException($"embedding health needs (N ≥ 2, D) features, not {string.Join('×', first.Shape)}");
        int n = first.Shape[0], d = first.Shape[1];
        var u = Ops.Normalize(first, dim: 1).ToArray();                        // (N, D) unit rows
        double std = 0;
        for (int j = 0; j < d; j++)
        {
            double mean = 0, squares = 0;
            for (int i = 0; i < n; i++) mean += u[i * d + j];
            mean /= n;
            for (int i = 0; i < n; i++) { double c = u[i * d + j] - mean; squares += c * c; }
            std += Math.Sqrt(squares / (n - 1));                                // unbiased, as torch.std
        }
        double? alignment = null;
        if (second is not null)
        {
            if (!second.Shape.SequenceEqual(first.Shape)) throw new ArgumentException("the two views' features differ in shape");
            var v = Ops.Normalize(second, dim: 1).ToArray();
            double sum = 0;
            for (int k = 0; k < u.Length; k++) { double c = u[k] - v[k]; sum += c * c; }
            alignment = sum / n;
        }
        var dots = Ops.MatMul(Tensor.From(u, n, d), Tensor.From(u, n, d).T).ToArray();   // (N, N) uₐ·u_b
        double pairs = 0;
        for (int a = 0; a < n; a++)
            for (int b = a + 1; b < n; b++) pairs += Math.Exp(-2 * (2 - 2 * dots[a * n + b]));   // ‖uₐ − u_b‖² = 2 − 2 uₐ·u_b
        return new EmbeddingHealth(std / d, alignment, Math.Log(pairs / (n * (n - 1) / 2.0)), d);
    }

    /// <summary>The backbone's features (eval mode, no gradient) of <paramref name="views"/>' first two views (one if the
    /// method has one), measured.</summary>
    public static EmbeddingHealth Measure(UnaryModule backbone, IReadOnlyList<Tensor> views)
    {
        bool wasTraining = backbone.Training;
        backbone.Eval();
        try
        {
            using (Grad.Disabled())
                return Of(backbone.Forward(views[0]), views.Count > 1 ? backbone.Forward(views[1]) : null);    // (N, D) each
        }
        finally { backbone.Train(wasTraining); }
    }
}
