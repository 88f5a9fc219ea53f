using SelfSup.Engine.Nn;

namespace SelfSup.Engine.Backbones;

/// <summary>Image → patch tokens by a p×p stride-p conv (timm's PatchEmbed, child "proj"): (N, C, H, W) → (N, H/p·W/p, D).</summary>
public sealed class PatchEmbed : UnaryModule
{
    public Conv2d Proj { get; }
    public int PatchSize { get; }
    public int GridH { get; }
    public int GridW { get; }
    public int NumPatches => GridH * GridW;

    public PatchEmbed(int imageSize, int patchSize, int inChannels, int embedDim, Generator rng)
    {
        if (imageSize % patchSize != 0) throw new ArgumentException($"image size {imageSize} is not a multiple of patch size {patchSize}");
        PatchSize = patchSize; GridH = GridW = imageSize / patchSize;
        Proj = Child("proj", new Conv2d(inChannels, embedDim, patchSize, rng, stride: patchSize));
    }

    public override Tensor Forward(Tensor x)
    {
        var y = Proj.Forward(x);                                                // (N, D, h, w)
        return Ops.Transpose(Ops.Flatten(y, 2), 1, 2);                          // (N, h·w, D)
    }
}

/// <summary>Multi-head self-attention (Vaswani et al. 2017) as timm's Attention: one qkv Linear D → 3D (bias),
/// softmax(q·kᵀ/√Dh)·v per head, then proj D → D.</summary>
public sealed class Attention : UnaryModule
{
    public int NumHeads { get; }
    public Linear Qkv { get; }
    public Linear Proj { get; }

    public Attention(int dim, int numHeads, Generator rng)
    {
        if (dim % numHeads != 0) throw new ArgumentException($"embedding dim {dim} is not divisible by {numHeads} heads");
        NumHeads = numHeads;
        Qkv = Child("qkv", new Linear(dim, 3 * dim, rng));
        Proj = Child("proj", new Linear(dim, dim, rng));
    }

    /// <summary>(B, L, D) → qkv (B, L, 3D) → per-head attention (B, H, L, Dh) → merged heads (B, L, D) → proj (B, L, D).</summary>
    public override Tensor Forward(Tensor x) => Intermediates.Chain(x, Qkv.Forward, AttendPerHead, MergeHeads, Proj.Forward);

    /// <summary>softmax(q·kᵀ/√Dh)·v for each head: (B, L, 3D) → (B, H, L, Dh).</summary>
    Tensor AttendPerHead(Tensor projected)
    {
        int b = projected.Shape[0], l = projected.Shape[1], d = projected.Shape[2] / 3, h = NumHeads;
        var qkv = Ops.Permute(Ops.Reshape(projected, b, l, 3, h, d / h), 2, 0, 3, 1, 4);   // (3, B, H, L, Dh)
        return Ops.ScaledDotProductAttention(Ops.Select(qkv, 0, 0), Ops.Select(qkv, 0, 1), Ops.Select(qkv, 0, 2));
    }

    /// <summary>(B, H, L, Dh) → (B, L, H·Dh).</summary>
    static Tensor MergeHeads(Tensor attended) =>
        Ops.Reshape(Ops.Transpose(attended, 1, 2), attended.Shape[0], attended.Shape[2], attended.Shape[1] * attended.Shape[3]);
}

/// <summary>The transformer MLP (timm's Mlp): fc1 D → M, exact GELU, fc2 M → D.</summary>
public sealed class VitMlp : UnaryModule
{
    public Linear Fc1 { get; }
    public Linear Fc2 { get; }
    readonly GELU act;

    public VitMlp(int dim, int hidden, Generator rng)
    {
        Fc1 = Child("fc1", new Linear(dim, hidden, rng));
        act = Child("act", new GELU());
        Fc2 = Child("fc2", new Linear(hidden, dim, rng));
    }

    /// <summary>(B, L, D) → fc1 (B, L, M) → GELU (B, L, M) → fc2 (B, L, D).</summary>
    public override Tensor Forward(Tensor x) => Intermediates.Chain(x, Fc1.Forward, act.Forward, Fc2.Forward);
}

/// <summary>A pre-norm transformer block: x + attn(norm1(x)), then x + mlp(norm2(x)); LayerNorm eps 1e-6 (timm).
/// Without autograd its intermediates go back to the pool after their last use (<see cref="Intermediates"/>).</summary>
public sealed class VitBlock : UnaryModule
{
    readonly LayerNorm norm1, norm2;
    public Attention Attn { get; }
    public VitMlp Mlp { get; }

    public VitBlock(int dim, int numHeads, int mlpDim, Generator rng)
    {
        norm1 = Child("norm1", new LayerNorm(dim, eps: 1e-6f));
        Attn = Child("attn", new Attention(dim, numHeads, rng));
        norm2 = Child("norm2", new LayerNorm(dim, eps: 1e-6f));
        Mlp = Child("mlp", new VitMlp(dim, mlpDim, rng));
    }

    /// <summary>h = x + attn(norm1(x)), then h + mlp(norm2(h)); (B, L, D) throughout.</summary>
    public override Tensor Forward(Tensor x) => Intermediates.Chain(x,
        h => Intermediates.Residual(h, norm1.Forward, Attn.Forward),
        h => Intermediates.Residual(h, norm2.Forward, Mlp.Forward));
}
