namespace SelfSup.Engine.Nn;

/// <summary>Which fan a Kaiming initialiser keeps the variance of: forward activations (fan_in) or gradients (fan_out).</summary>
public enum FanMode { FanIn, FanOut }

/// <summary>
/// Weight initialisers, in place, each with an explicit generator (torch.nn.init's names and formulas).
/// Fans follow torch's _calculate_fan_in_and_fan_out: for a (out, in, k...) weight, fan_in = in·∏k, fan_out = out·∏k.
/// </summary>
public static class Init
{
    /// <summary>(fan_in, fan_out) of a weight of rank ≥ 2.</summary>
    public static (int FanIn, int FanOut) Fans(int[] shape)
    {
        if (shape.Length < 2) throw new ArgumentException($"fans need a weight of rank >= 2, got {ShapeUtil.Format(shape)}");
        int receptive = 1;
        for (int d = 2; d < shape.Length; d++) receptive *= shape[d];
        return (shape[1] * receptive, shape[0] * receptive);
    }

    /// <summary>
    /// He et al. 2015, "Delving Deep into Rectifiers" (torch.nn.init.kaiming_normal_): N(0, std²) with
    /// std = gain/√fan, gain = √(2/(1+a²)) (√2 for ReLU, a = 0). torchvision's ResNet uses mode fan_out, ReLU.
    /// </summary>
    public static void KaimingNormal(Tensor w, Generator rng, FanMode mode = FanMode.FanOut, float a = 0f)
    {
        var (fanIn, fanOut) = Fans(w.Shape);
        double std = Math.Sqrt(2.0 / (1 + a * a)) / Math.Sqrt(mode == FanMode.FanIn ? fanIn : fanOut);
        Normal(w, rng, 0f, (float)std);
    }

    /// <summary>
    /// torch.nn.init.kaiming_uniform_: U(±bound), bound = gain·√(3/fan), gain = √(2/(1+a²)).
    /// </summary>
    public static void KaimingUniform(Tensor w, Generator rng, float a = 0f, FanMode mode = FanMode.FanIn)
    {
        var (fanIn, fanOut) = Fans(w.Shape);
        double gain = Math.Sqrt(2.0 / (1 + a * a));
        double bound = gain * Math.Sqrt(3.0 / (mode == FanMode.FanIn ? fanIn : fanOut));
        Uniform(w, rng, (float)-bound, (float)bound);
    }

    /// <summary>
    /// The default of torch's nn.Linear and nn.Conv2d (reset_parameters): kaiming_uniform_(a=√5) on the weight,
    /// which is U(±1/√fan_in), and U(±1/√fan_in) on the bias.
    /// </summary>
    public static void TorchDefault(Tensor weight, Tensor? bias, Generator rng)
    {
        KaimingUniform(weight, rng, a: MathF.Sqrt(5f));
        if (bias is null) return;
        float bound = 1f / MathF.Sqrt(Fans(weight.Shape).FanIn);
        Uniform(bias, rng, -bound, bound);
    }

    /// <summary>
    /// Glorot &amp; Bengio 2010 (torch.nn.init.xavier_uniform_): U(±gain·√(6/(fan_in+fan_out))).
    /// timm's and MoCo v3's ViT use it for every Linear.
    /// </summary>
    public static void XavierUniform(Tensor w, Generator rng, float gain = 1f)
    {
        var (fanIn, fanOut) = Fans(w.Shape);
        float bound = gain * MathF.Sqrt(6f / (fanIn + fanOut));
        Uniform(w, rng, -bound, bound);
    }

    /// <summary>
    /// Normal(mean, std²) truncated to [mean + lo·std, mean + hi·std] by rejection (ViT position/token init,
    /// std 0.02). Bounds are in units of std, as timm's trunc_normal_tf_ and JAX's truncated_normal; timm's
    /// trunc_normal_ takes absolute bounds (a=−2, b=2), which at std 0.02 truncate nothing — pass lo/hi = ±2/std for that.
    /// </summary>
    public static void TruncatedNormal(Tensor t, Generator rng, float std = 0.02f, float mean = 0f, float lo = -2f, float hi = 2f)
    {
        if (!(lo < hi)) throw new ArgumentException($"empty truncation interval [{lo}, {hi}]");
        Fill(t, () =>
        {
            double z;
            do z = rng.NextNormal(); while (z < lo || z > hi);
            return (float)(mean + std * z);
        });
    }

    /// <summary>N(mean, std²) (torch.nn.init.normal_).</summary>
    public static void Normal(Tensor t, Generator rng, float mean = 0f, float std = 1f)
    {
        var values = Target(t);
        for (int i = 0; i < values.Length; i++) values[i] = (float)(mean + std * rng.NextNormal());
        Commit(t, values);
    }

    /// <summary>U[low, high) (torch.nn.init.uniform_).</summary>
    public static void Uniform(Tensor t, Generator rng, float low, float high)
    {
        var values = Target(t);
        for (int i = 0; i < values.Length; i++) values[i] = rng.Uniform(low, high);
        Commit(t, values);
    }

    public static void Constant(Tensor t, float value) => Fill(t, () => value);
    public static void Zeros(Tensor t) => Constant(t, 0f);
    public static void Ones(Tensor t) => Constant(t, 1f);

    // Values are written in row-major order, so results depend only on the generator, not on the layout:
    // straight into a contiguous tensor's span, or through a scratch array for a strided view.
    static Span<float> Target(Tensor t) => t.IsContiguous ? t.Span : new float[t.Numel];

    static void Commit(Tensor t, Span<float> values)
    {
        if (!t.IsContiguous) t.CopyFrom(Tensor.From(values.ToArray(), t.Shape));
    }

    static void Fill(Tensor t, Func<float> next)
    {
        var values = Target(t);
        for (int i = 0; i < values.Length; i++) values[i] = next();
        Commit(t, values);
    }
}
