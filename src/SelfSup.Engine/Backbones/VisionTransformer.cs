using SelfSup.Engine.Nn;

namespace SelfSup.Engine.Backbones;

/// <summary>
/// Vision Transformer (Dosovitskiy et al. 2021) as MoCo v3 builds it (Chen et al. 2021, vits.py over timm): a class
/// token plus patch tokens with a fixed 2-D sin-cos position embedding, pre-norm blocks, a final LayerNorm, and the
/// head on the class token. Key names are timm's: cls_token, pos_embed, patch_embed.proj.*, blocks.{i}.norm1,
/// blocks.{i}.attn.qkv, blocks.{i}.attn.proj, blocks.{i}.norm2, blocks.{i}.mlp.fc1/fc2, norm, head.
/// </summary>
public sealed class VisionTransformer : Backbone
{
    /// <param name="ImageSize">Square input size; a multiple of <paramref name="PatchSize"/>.</param>
    /// <param name="PatchSize">Side p of the square patches (the projection conv's kernel and stride).</param>
    /// <param name="InChannels">3 for RGB, 1 for Fashion-MNIST.</param>
    /// <param name="EmbedDim">Token width D (a multiple of 4 and of <paramref name="NumHeads"/>).</param>
    /// <param name="Depth">Number of blocks.</param>
    /// <param name="NumHeads">Attention heads per block.</param>
    /// <param name="MlpDim">Hidden width of each block's MLP.</param>
    /// <param name="NumClasses">Size of the head; 0 = Identity (Forward returns the class token's features).</param>
    /// <param name="FreezePatchProjection">MoCo v3's "stop-grad conv1": the patch projection keeps its random init
    /// (RequiresGrad false, so it is left out of <see cref="Module.TrainableParameters"/> but kept in the state dict).</param>
    public sealed record Options(int ImageSize = 224, int PatchSize = 16, int InChannels = 3, int EmbedDim = 192, int Depth = 12,
        int NumHeads = 3, int MlpDim = 768, int NumClasses = 0, bool FreezePatchProjection = false) : BackboneOptions
    {
        public override Backbone BuildEncoder(Generator rng) => new VisionTransformer(this with { NumClasses = 0 }, rng);

        /// <summary>ViT-Tiny: D 192, 12 blocks, 3 heads, MLP 768.</summary>
        public static Options Tiny(int imageSize = 224, int patchSize = 16, int inChannels = 3, int numClasses = 0) =>
            new(imageSize, patchSize, inChannels, 192, 12, 3, 768, numClasses);

        /// <summary>ViT-Small: D 384, 12 blocks, 6 heads, MLP 1536.</summary>
        public static Options Small(int imageSize = 224, int patchSize = 16, int inChannels = 3, int numClasses = 0) =>
            new(imageSize, patchSize, inChannels, 384, 12, 6, 1536, numClasses);
    }

    public Options Config { get; }
    /// <summary>Width D of the class-token features that Forward returns when NumClasses is 0.</summary>
    public override int FeatureDim => Config.EmbedDim;

    public Tensor ClsToken { get; }                                            // (1, 1, D)
    public Tensor PosEmbed { get; }                                            // (1, 1 + N, D), fixed
    public PatchEmbed PatchEmbed { get; }
    readonly VitBlock[] blocks;
    readonly LayerNorm norm;
    readonly UnaryModule head;

    public VisionTransformer(Options options, Generator rng)
    {
        Config = options;
        int d = options.EmbedDim;
        ClsToken = Parameter("cls_token", Tensor.Zeros(1, 1, d));
        PatchEmbed = Child("patch_embed", new PatchEmbed(options.ImageSize, options.PatchSize, options.InChannels, d, rng));
        PosEmbed = Parameter("pos_embed", SinCosPositionEmbedding(PatchEmbed.GridH, PatchEmbed.GridW, d));
        PosEmbed.RequiresGrad = false;                                         // MoCo v3: fixed, not learned
        var stack = Child("blocks", new Sequential(
            [.. Enumerable.Range(0, options.Depth).Select(_ => (UnaryModule)new VitBlock(d, options.NumHeads, options.MlpDim, rng))]));
        blocks = [.. stack.Layers.Cast<VitBlock>()];
        norm = Child("norm", new LayerNorm(d, eps: 1e-6f));
        head = Child<UnaryModule>("head", options.NumClasses > 0 ? new Linear(d, options.NumClasses, rng) : new Identity());
        InitLikeMoCoV3(rng);
        if (options.FreezePatchProjection)
        {
            PatchEmbed.Proj.Weight.RequiresGrad = false;
            PatchEmbed.Proj.Bias!.RequiresGrad = false;
        }
    }

    /// <summary>
    /// MoCo v3's init (vits.py): qkv U(±√(6/(D + D))) — xavier as if q, k, v were three D×D matrices; every other
    /// Linear xavier_uniform; Linear biases 0; cls_token N(0, 1e-6²); patch projection xavier_uniform of the
    /// flattened (D, C·p·p) weight, bias 0; LayerNorms 1/0 (their construction). MoCo v3 writes 3·p·p for
    /// the fan-in (RGB hard-coded); C·p·p is the same for 3 channels and right for 1.
    /// </summary>
    void InitLikeMoCoV3(Generator rng)
    {
        foreach (var (name, module) in NamedModules())
        {
            if (module is not Linear linear) continue;
            if (name.EndsWith(".qkv", StringComparison.Ordinal))
            {
                float bound = MathF.Sqrt(6f / (linear.OutFeatures / 3 + linear.InFeatures));
                Init.Uniform(linear.Weight, rng, -bound, bound);
            }
            else Init.XavierUniform(linear.Weight, rng);
            if (linear.Bias is { } b) Init.Zeros(b);
        }
        Init.Normal(ClsToken, rng, 0f, 1e-6f);
        var proj = PatchEmbed.Proj;
        using (Grad.Disabled()) Init.XavierUniform(proj.Weight.Reshape(proj.OutChannels, -1), rng);   // fans of the (D, C·p·p) view
        Init.Zeros(proj.Bias!);
    }

    /// <summary>
    /// MoCo v3's build_2d_sincos_position_embedding (temperature 10000): with pos_dim = D/4 and
    /// ω_k = 1/10000^(k/pos_dim), a token's row in [sin(gw·ω), cos(gw·ω), sin(gh·ω), cos(gh·ω)], where (gw, gh) come
    /// from meshgrid(arange(w), arange(h)) flattened ('ij' indexing: token m has gw = m / h, gh = m mod h);
    /// the class token's row is zeros. Returns (1, 1 + h·w, D).
    /// </summary>
    public static Tensor SinCosPositionEmbedding(int gridH, int gridW, int dim, double temperature = 10000)
    {
        if (dim % 4 != 0) throw new ArgumentException($"embedding dim {dim} must be divisible by 4 for the 2-D sin-cos embedding");
        int posDim = dim / 4, tokens = gridH * gridW;
        var pe = Tensor.Zeros(1, 1 + tokens, dim);
        var data = pe.Span;
        for (int m = 0; m < tokens; m++)
        {
            float gw = m / gridH, gh = m % gridH;
            var row = data.Slice((1 + m) * dim, dim);
            for (int k = 0; k < posDim; k++)
            {
                float omega = 1f / MathF.Pow((float)temperature, (float)k / posDim);
                float outW = gw * omega, outH = gh * omega;
                row[k] = MathF.Sin(outW);
                row[posDim + k] = MathF.Cos(outW);
                row[2 * posDim + k] = MathF.Sin(outH);
                row[3 * posDim + k] = MathF.Cos(outH);
            }
        }
        return pe;
    }

    /// <summary>All tokens after the final norm: (N, C, H, W) → (N, 1 + h·w, D); index 0 is the class token.</summary>
    public Tensor ForwardTokens(Tensor x)
    {
        int n = x.Shape[0], d = Config.EmbedDim;
        var patches = PatchEmbed.Forward(x);                                   // (N, L, D)
        var cls = Ops.Expand(ClsToken, n, 1, d);                               // (N, 1, D)
        var tokens = Ops.Cat([cls, patches], 1) + PosEmbed;                    // (N, 1 + L, D)
        foreach (var block in blocks) tokens = block.Forward(tokens);          // (N, 1 + L, D)
        return norm.Forward(tokens);
    }

    /// <summary>head(norm(tokens)[:, 0]): (N, C, H, W) → (N, NumClasses), or the class token (N, D) when NumClasses is 0.</summary>
    public override Tensor Forward(Tensor x) => head.Forward(Ops.Select(ForwardTokens(x), 1, 0));
}
