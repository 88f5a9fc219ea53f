using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SelfSup.Engine.Kernels;

/// <summary>
/// im2col / col2im for NCHW convolution lowered to GEMM (Chellapilla et al. 2006, "High Performance
/// Convolutional Neural Networks for Document Processing"). The column matrix of one channel group for
/// a run of <c>nb</c> consecutive images has Cg·KH·KW rows and nb·OH·OW columns: row (c, kh, kw), column
/// (image, oh, ow) holds input[image, c, oh·sh − ph + kh, ow·sw − pw + kw] (0 outside the image).
/// Batching several images per column matrix keeps the GEMM's N (forward) or K (weight gradient)
/// dimension large for the small late-stage feature maps (e.g. 4×4).
/// </summary>
internal static unsafe class Im2Col
{
    [ThreadStatic] private static AlignedBuffer? _col;
    [ThreadStatic] private static AlignedBuffer? _tmp;
    [ThreadStatic] private static AlignedBuffer? _weight;
    [ThreadStatic] private static AlignedBuffer? _flipped;
    [ThreadStatic] private static int[]? _planeCoords;
    [ThreadStatic] private static long _planeKey;

    /// <summary>This thread's column-matrix buffer.</summary>
    public static float* ColBuffer(long floats) => (_col ??= new AlignedBuffer()).Ensure(floats);

    /// <summary>This thread's scratch buffer for gathered / to-be-scattered (C, nb·OH·OW) matrices.</summary>
    public static float* TmpBuffer(long floats) => (_tmp ??= new AlignedBuffer()).Ensure(floats);


    /// <summary>This thread's buffer for a convolution's pre-packed weight matrix (GEMM operand A).</summary>
    public static float* WeightBuffer(long floats) => (_weight ??= new AlignedBuffer()).Ensure(floats);

    /// <summary>This thread's buffer for a transposed, spatially flipped weight (input gradient as a convolution).</summary>
    public static float* FlippedWeightBuffer(long floats) => (_flipped ??= new AlignedBuffer()).Ensure(floats);

    /// <summary>
    /// Whether the flattened-plane path applies: stride 1 and an output plane the size of the input
    /// plane (odd kernels with "same" padding), on AVX-512 hardware.
    /// </summary>
    public static bool SamePlane(in Conv2dShape s)
        => Avx512F.IsSupported && s.StrideH == 1 && s.StrideW == 1 && s.OutH == s.H && s.OutW == s.W;

    /// <summary>
    /// Per-position (y, x) coordinates of an H×W plane, padded to a multiple of 16 positions: ys at
    /// [0, padded), xs at [padded, 2·padded). Padding positions get y = H + 2^20 (never valid).
    /// </summary>
    private static int[] PlaneCoordinates(int h, int w, out int padded)
    {
        int hw = h * w;
        padded = (hw + 15) & ~15;
        long key = ((long)h << 32) | (uint)w;
        if (_planeCoords is { } cached && _planeKey == key) return cached;
        var c = new int[2 * padded];
        for (int o = 0; o < padded; o++)
        {
            c[o] = o < hw ? o / w : h + (1 << 20);
            c[padded + o] = o < hw ? o % w : 0;
        }
        _planeKey = key;
        return _planeCoords = c;
    }

    /// <summary>
    /// <see cref="Pack"/> for <see cref="SamePlane"/> shapes: each column-matrix row of one image is the
    /// input plane shifted by (kh − PadH)·W + (kw − PadW) with out-of-image positions zeroed, so it is
    /// built 16 positions at a time with masked loads over the flattened plane (no per-row loops, which
    /// matters for the 4×4 and 7×7 maps).
    /// </summary>
    private static void PackSamePlane(in Conv2dShape s, float* input, int n0, int nb, int c0, int cg, float* col)
    {
        int h = s.H, w = s.W, hw = h * w, kh = s.KH, kw = s.KW, ph = s.PadH, pw = s.PadW;
        nint rowLen = (nint)nb * hw;
        int[] coords = PlaneCoordinates(h, w, out int padded);
        var vh = Vector512.Create((uint)h);
        var vw = Vector512.Create((uint)w);
        fixed (int* py = coords)
        {
            int* px = py + padded;
            for (int c = 0; c < cg; c++)
                for (int img = 0; img < nb; img++)
                {
                    float* src = input + ((nint)(n0 + img) * s.Cin + c0 + c) * hw;
                    float* dst = col + (nint)c * kh * kw * rowLen + (nint)img * hw;
                    for (int o = 0; o < hw; o += 16)
                    {
                        var yv = Vector512.Load(py + o);
                        var xv = Vector512.Load(px + o);
                        bool full = o + 16 <= hw;
                        var inPlane = Vector512.LessThan(yv.AsUInt32(), vh).AsSingle();
                        for (int i = 0; i < kh; i++)
                        {
                            int dy = i - ph;
                            var ym = Vector512.LessThan((yv + Vector512.Create(dy)).AsUInt32(), vh);
                            for (int j = 0; j < kw; j++)
                            {
                                int dx = j - pw;
                                var m = ym & Vector512.LessThan((xv + Vector512.Create(dx)).AsUInt32(), vw);
                                var v = Avx512F.MaskLoad(src + o + dy * w + dx, m.AsSingle(), Vector512<float>.Zero);
                                float* d = dst + (nint)(i * kw + j) * rowLen + o;
                                if (full) Vector512.Store(v, d);
                                else Avx512F.MaskStore(d, inPlane, v);
                            }
                        }
                    }
                }
        }
    }

    /// <summary>
    /// Valid output range [lo, hi) along one axis for kernel offset <paramref name="k"/>: the outputs
    /// whose input coordinate o·stride − pad + k falls inside [0, size).
    /// </summary>
    private static void ValidRange(int k, int pad, int stride, int size, int outSize, out int lo, out int hi)
    {
        int d = pad - k; // o*stride >= d  and  o*stride <= size - 1 + d
        lo = d <= 0 ? 0 : (d + stride - 1) / stride;
        int top = size - 1 + d;
        hi = top < 0 ? 0 : Math.Min(outSize, top / stride + 1);
        if (hi < lo) hi = lo;
    }

    /// <summary>
    /// Builds the column matrix (row length nb·OH·OW) for channels [c0, c0+cg) of images
    /// [n0, n0+nb) from the NCHW <paramref name="input"/>.
    /// </summary>
    public static void Pack(in Conv2dShape s, float* input, int n0, int nb, int c0, int cg, float* col)
    {
        if (SamePlane(in s))
        {
            PackSamePlane(in s, input, n0, nb, c0, cg, col);
            return;
        }
        int oh = s.OutH, ow = s.OutW, ohw = oh * ow, hw = s.H * s.W;
        nint rowLen = (nint)nb * ohw;
        for (int c = 0; c < cg; c++)
            for (int kh = 0; kh < s.KH; kh++)
            {
                ValidRange(kh, s.PadH, s.StrideH, s.H, oh, out int ohLo, out int ohHi);
                for (int kw = 0; kw < s.KW; kw++)
                {
                    ValidRange(kw, s.PadW, s.StrideW, s.W, ow, out int owLo, out int owHi);
                    float* row = col + ((nint)(c * s.KH + kh) * s.KW + kw) * rowLen;
                    for (int img = 0; img < nb; img++)
                    {
                        float* src = input + ((nint)(n0 + img) * s.Cin + c0 + c) * hw;
                        float* dst = row + (nint)img * ohw;
                        new Span<float>(dst, ohLo * ow).Clear();
                        for (int y = ohLo; y < ohHi; y++)
                        {
                            float* d = dst + y * ow;
                            float* srow = src + (nint)(y * s.StrideH - s.PadH + kh) * s.W - s.PadW + kw;
                            for (int x = 0; x < owLo; x++) d[x] = 0f;
                            if (s.StrideW == 1)
                                new ReadOnlySpan<float>(srow + owLo, owHi - owLo).CopyTo(new Span<float>(d + owLo, owHi - owLo));
                            else
                                for (int x = owLo; x < owHi; x++) d[x] = srow[x * s.StrideW];
                            for (int x = owHi; x < ow; x++) d[x] = 0f;
                        }
                        new Span<float>(dst + ohHi * ow, (oh - ohHi) * ow).Clear();
                    }
                }
            }
    }

    /// <summary>
    /// Scatter-adds a column matrix (same layout as <see cref="Pack"/>) into channels [c0, c0+cg) of
    /// images [n0, n0+nb) of the NCHW <paramref name="gradInput"/> (which the caller zeroed).
    /// </summary>
    public static void Unpack(in Conv2dShape s, float* col, int n0, int nb, int c0, int cg, float* gradInput)
    {
        int oh = s.OutH, ow = s.OutW, ohw = oh * ow, hw = s.H * s.W;
        nint rowLen = (nint)nb * ohw;
        for (int c = 0; c < cg; c++)
            for (int kh = 0; kh < s.KH; kh++)
            {
                ValidRange(kh, s.PadH, s.StrideH, s.H, oh, out int ohLo, out int ohHi);
                for (int kw = 0; kw < s.KW; kw++)
                {
                    ValidRange(kw, s.PadW, s.StrideW, s.W, ow, out int owLo, out int owHi);
                    float* row = col + ((nint)(c * s.KH + kh) * s.KW + kw) * rowLen;
                    for (int img = 0; img < nb; img++)
                    {
                        float* dstImg = gradInput + ((nint)(n0 + img) * s.Cin + c0 + c) * hw;
                        float* srcImg = row + (nint)img * ohw;
                        for (int y = ohLo; y < ohHi; y++)
                        {
                            float* sv = srcImg + y * ow;
                            float* drow = dstImg + (nint)(y * s.StrideH - s.PadH + kh) * s.W - s.PadW + kw;
                            if (s.StrideW == 1)
                            {
                                AddRow(drow + owLo, sv + owLo, owHi - owLo);
                            }
                            else
                                for (int x = owLo; x < owHi; x++) drow[x * s.StrideW] += sv[x];
                        }
                    }
                }
            }
    }

    /// <summary>d[i] += s[i] for i in [0, n): inline (short rows make library calls overhead-bound).</summary>
    private static void AddRow(float* d, float* s, int n)
    {
        int i = 0;
        if (Avx512F.IsSupported)
        {
            for (; i + 16 <= n; i += 16) Vector512.Store(Vector512.Load(d + i) + Vector512.Load(s + i), d + i);
            if (i < n)
            {
                var m = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(n - i)).AsSingle();
                var sum = Avx512F.MaskLoad(d + i, m, Vector512<float>.Zero) + Avx512F.MaskLoad(s + i, m, Vector512<float>.Zero);
                Avx512F.MaskStore(d + i, m, sum);
            }
            return;
        }
        for (; i < n; i++) d[i] += s[i];
    }

    /// <summary>
    /// Copies channels [c0, c0+cc) of images [n0, n0+nb) of an NCHW tensor with <paramref name="channels"/>
    /// channels and <paramref name="plane"/> elements per channel into a (cc, nb·plane) matrix.
    /// </summary>
    public static void Gather(float* src, int channels, int plane, int n0, int nb, int c0, int cc, float* dst)
    {
        for (int c = 0; c < cc; c++)
            for (int img = 0; img < nb; img++)
                new ReadOnlySpan<float>(src + ((nint)(n0 + img) * channels + c0 + c) * plane, plane)
                    .CopyTo(new Span<float>(dst + ((nint)c * nb + img) * plane, plane));
    }

    /// <summary>Inverse of <see cref="Gather"/>: writes a (cc, nb·plane) matrix back into the NCHW tensor.</summary>
    public static void Scatter(float* src, int channels, int plane, int n0, int nb, int c0, int cc, float* dst)
    {
        for (int c = 0; c < cc; c++)
            for (int img = 0; img < nb; img++)
                new ReadOnlySpan<float>(src + ((nint)c * nb + img) * plane, plane)
                    .CopyTo(new Span<float>(dst + ((nint)(n0 + img) * channels + c0 + c) * plane, plane));
    }
}
