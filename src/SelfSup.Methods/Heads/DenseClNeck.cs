namespace SelfSup.Methods.Heads;

/// <summary>What <see cref="DenseClNeck.Project"/> gives for a batch of feature maps, before L2-normalisation.</summary>
/// <param name="Global">(N, D) the global projection g(avgpool(x)).</param>
/// <param name="Grid">(N, D, S) the dense projection at each of the S = h·w locations.</param>
/// <param name="PooledGrid">(N, D) the dense projection averaged over locations (what the dense queue receives).</param>
public readonly record struct DenseProjections(Tensor Global, Tensor Grid, Tensor PooledGrid);

/// <summary>
/// DenseCL's two projection heads side by side (Wang et al. 2021, §3.2: "the global projection head ... and the dense
/// projection head ... which takes the dense feature maps as input ... implemented by two 1×1 convolution layers with a
/// ReLU layer in between"), as the official DenseCLNeck: children "mlp" = Linear(F, hidden) → ReLU → Linear(hidden, D) on
/// the average-pooled features, and "mlp2" = Conv1×1(F, hidden) → ReLU → Conv1×1(hidden, D) on every location. No BN.
/// The Linears are Kaiming-normal initialised (fan_in, ReLU gain) with zero bias as the official init_linear='kaiming';
/// the convolutions keep torch's default init, which the official _init_weights does not touch either.
/// </summary>
public sealed class DenseClNeck : Module
{
    public Mlp Global { get; }
    public Sequential Dense { get; }

    /// <param name="features">F, the backbone's channels.</param>
    /// <param name="hidden">Hidden width of both heads.</param>
    /// <param name="dim">D, the embedding size.</param>
    /// <param name="rng">Initialises the weights.</param>
    public DenseClNeck(int features, int hidden, int dim, Generator rng)
    {
        Global = Child("mlp", new Mlp([features, hidden, dim], rng, new Mlp.Options(BatchNorm: false)));
        foreach (var linear in Global.Layers.OfType<Linear>())
        {
            Init.KaimingNormal(linear.Weight, rng, FanMode.FanIn);
            if (linear.Bias is { } b) Init.Zeros(b);
        }
        Dense = Child("mlp2", new Sequential(new Conv2d(features, hidden, 1, rng), new ReLU(), new Conv2d(hidden, dim, 1, rng)));
    }

    /// <summary>Both projections of backbone maps <paramref name="maps"/> (N, F, h, w).</summary>
    public DenseProjections Project(Tensor maps)
    {
        int n = maps.Shape[0];
        var global = Global.Forward(Ops.Mean(maps, [2, 3]));                    // (N, D)   g(avgpool(x))
        var grid = Dense.Forward(maps);                                         // (N, D, h, w)
        var pooled = Ops.Mean(grid, [2, 3]);                                    // (N, D)
        return new(global, Ops.Reshape(grid, n, grid.Shape[1], -1), pooled);    // grid (N, D, S)
    }
}

/// <summary>
/// A backbone with a <see cref="DenseClNeck"/> (children "backbone", "neck"), for DenseCL's query and momentum key
/// encoders. <see cref="Forward"/> gives only the backbone's last feature map (N, F, h, w): the neck has no BN, so the
/// per-group batch norm of <see cref="Components.SplitBatchNorm"/> needs to wrap just that part.
/// </summary>
public sealed class DenseClEncoder : UnaryModule
{
    public ResNet Backbone { get; }
    public DenseClNeck Neck { get; }

    public DenseClEncoder(ResNet backbone, DenseClNeck neck)
    {
        Backbone = Child("backbone", backbone);
        Neck = Child("neck", neck);
    }

    /// <summary>(N, C, H, W) → (N, F, h, w), the backbone's last stage before pooling.</summary>
    public override Tensor Forward(Tensor x) => Backbone.ForwardFeatures(x);
}
