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

    public override Tensor Forward(Tensor x)                                    // (B, L, D)
    {
        int b = x.Shape[0], l = x.Shape[1], d = x.Shape[2], h = NumHeads;
        var projected = Qkv.Forward(x);                                         // (B, L, 3D)
        var qkv = Ops.Permute(Ops.Reshape(projected, b, l, 3, h, d / h), 2, 0, 3, 1, 4);   // (3, B, H, L, Dh)
        var attended = Ops.ScaledDotProductAttention(
            Ops.Select(qkv, 0, 0), Ops.Select(qkv, 0, 1), Ops.Select(qkv, 0, 2));   // (B, H, L, Dh)
        NoGradBuffers.Release(projected, x);
        var merged = Ops.Reshape(Ops.Transpose(attended, 1, 2), b, l, d);        // (B, L, D), a copy
        if (merged.Storage != attended.Storage) NoGradBuffers.Release(attended, x);
        var output = Proj.Forward(merged);                                       // (B, L, D)
        NoGradBuffers.Release(merged, x);
        return output;
    }
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

    public override Tensor Forward(Tensor x)                                    // (B, L, D)
    {
        var hidden = Fc1.Forward(x);                                            // (B, L, M)
        var activated = act.Forward(hidden);                                    // (B, L, M)
        if (activated.Storage != hidden.Storage) NoGradBuffers.Release(hidden, x);
        var output = Fc2.Forward(activated);                                    // (B, L, D)
        NoGradBuffers.Release(activated, x);
        return output;
    }
}

/// <summary>A pre-norm transformer block: x + attn(norm1(x)), then x + mlp(norm2(x)); LayerNorm eps 1e-6 (timm).
/// Without autograd its intermediates go back to the pool after their last use (<see cref="NoGradBuffers"/>).</summary>
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

    public override Tensor Forward(Tensor x)                                    // (B, L, D)
    {
        var normed = norm1.Forward(x);                                          // (B, L, D)
        var attended = Attn.Forward(normed); NoGradBuffers.Release(normed, x);  // (B, L, D)
        var h = x + attended; NoGradBuffers.Release(attended, x);               // (B, L, D)
        normed = norm2.Forward(h);                                              // (B, L, D)
        var mlp = Mlp.Forward(normed); NoGradBuffers.Release(normed, x);        // (B, L, D)
        var output = h + mlp; NoGradBuffers.Release(mlp, x); NoGradBuffers.Release(h, x);
        return output;                                                          // (B, L, D)
    }
}
