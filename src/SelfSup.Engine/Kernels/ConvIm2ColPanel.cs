using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SelfSup.Engine.Kernels;

/// <summary>
/// Implicit im2col (the GEMM's B operand) for <see cref="Im2Col.SamePlane"/> convolutions: B panels are
/// written straight from the NCHW input in the packed sliver layout the micro-kernel reads, so the
/// column matrix is never materialised and never re-packed. Column q of a chunk of images is position
/// q mod (H·W) of image q / (H·W); row (c, kh, kw) shifts the flattened plane by (kh − PadH)·W + (kw − PadW)
/// and zeroes the taps that fall outside the image. Sixteen columns are loaded at a time with masked
/// loads; a run of sixteen columns spans at most two images when H·W ≥ 16 (second masked load, one
/// image stride further). One instance per thread; the caller keeps the input pinned.
/// </summary>
internal sealed unsafe class ConvIm2ColPanel : GemmPanelSource
{
    [ThreadStatic] private static ConvIm2ColPanel? _forThread;

    private Conv2dShape _s;
    private float* _input;
    private int _n0, _c0, _limit, _padded;
    private int[] _coords = [];
    private long _coordsKey = -1;

    /// <summary>Whether the implicit path applies: SamePlane geometry with planes of at least 16 positions.</summary>
    public static bool Applies(in Conv2dShape s) => Im2Col.SamePlane(in s) && s.H * s.W >= 16;

    /// <summary>This thread's panel source, set to images [n0, n0+nb) and channels [c0, …) of <paramref name="input"/>.</summary>
    public static ConvIm2ColPanel For(in Conv2dShape s, float* input, int n0, int nb, int c0)
    {
        var p = _forThread ??= new ConvIm2ColPanel();
        p._s = s;
        p._input = input;
        p._n0 = n0;
        p._c0 = c0;
        p._limit = nb * s.H * s.W;
        p.EnsureCoordinates(nb);
        return p;
    }

    /// <summary>Per-column (y, x, image) tables for nb images, padded by 64 invalid columns.</summary>
    private void EnsureCoordinates(int nb)
    {
        int h = _s.H, w = _s.W, hw = h * w;
        long key = ((long)nb << 40) | ((long)h << 20) | (uint)w;
        if (key == _coordsKey) return;
        int cols = nb * hw;
        _padded = ((cols + 63) & ~63) + 64;
        var c = new int[3 * _padded];
        for (int q = 0; q < _padded; q++)
        {
            bool inside = q < cols;
            int o = q % hw;
            c[q] = inside ? o / w : h + (1 << 20);
            c[_padded + q] = inside ? o % w : 0;
            c[2 * _padded + q] = inside ? q / hw : -1;
        }
        _coords = c;
        _coordsKey = key;
    }

    public override void PackPanel(int p0, int j0, int kc, int nc, int nr, float* dst)
    {
        int h = _s.H, w = _s.W, hw = h * w, kw = _s.KW, taps = _s.KH * kw;
        nint nextImage = (nint)(_s.Cin - 1) * hw; // from (image i, channel c) to (image i+1, channel c), less one plane
        int slivers = (nc + nr - 1) / nr;
        var vh = Vector512.Create((uint)h);
        var vw = Vector512.Create((uint)w);
        var limit = Vector512.Create(_limit);
        // Per tap: plane shift, and (per run of 16 columns) the load masks of the first and second image.
        int* shift = stackalloc int[taps];
        var firstMask = stackalloc Vector512<float>[taps];
        var secondMask = stackalloc Vector512<float>[taps];
        for (int t = 0; t < taps; t++) shift[t] = (t / kw - _s.PadH) * w + t % kw - _s.PadW;
        int c0 = p0 / taps, t0 = p0 - c0 * taps;
        fixed (int* ty = _coords)
        {
            int* tx = ty + _padded, ti = tx + _padded;
            for (int s = 0; s < slivers; s++)
                for (int l = 0; l < nr; l += 16)
                {
                    int q = j0 + s * nr + l;
                    var yv = Vector512.Load(ty + q);
                    var xv = Vector512.Load(tx + q);
                    var iv = Vector512.Load(ti + q);
                    int img0 = Math.Max(ti[q], 0);
                    var live = Vector512.LessThan(Vector512<int>.Indices + Vector512.Create(q), limit);
                    var first = live & Vector512.Equals(iv, Vector512.Create(img0));
                    var second = live & Vector512.Equals(iv, Vector512.Create(img0 + 1));
                    bool straddles = second != Vector512<int>.Zero;
                    for (int t = 0; t < taps; t++)
                    {
                        int dy = t / kw - _s.PadH, dx = t % kw - _s.PadW;
                        var m = Vector512.LessThan((yv + Vector512.Create(dy)).AsUInt32(), vh).AsInt32()
                              & Vector512.LessThan((xv + Vector512.Create(dx)).AsUInt32(), vw).AsInt32();
                        firstMask[t] = (m & first).AsSingle();
                        secondMask[t] = (m & second).AsSingle();
                    }
                    float* chan = _input + ((nint)(_n0 + img0) * _s.Cin + _c0 + c0) * hw + (q - img0 * hw);
                    float* d = dst + (nint)s * kc * nr + l;
                    int tap = t0;
                    if (straddles)
                        for (int p = 0; p < kc; p++, d += nr)
                        {
                            float* a = chan + shift[tap];
                            var v = Avx512F.MaskLoad(a, firstMask[tap], Vector512<float>.Zero);
                            Vector512.Store(Avx512F.MaskLoad(a + nextImage, secondMask[tap], v), d);
                            if (++tap == taps) { tap = 0; chan += hw; }
                        }
                    else
                        for (int p = 0; p < kc; p++, d += nr)
                        {
                            Vector512.Store(Avx512F.MaskLoad(chan + shift[tap], firstMask[tap], Vector512<float>.Zero), d);
                            if (++tap == taps) { tap = 0; chan += hw; }
                        }
                }
        }
    }
}
