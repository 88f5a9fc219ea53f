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
    [ThreadStatic] private static AlignedBuffer? _partial;

    /// <summary>This thread's column-matrix buffer.</summary>
    public static float* ColBuffer(long floats) => (_col ??= new AlignedBuffer()).Ensure(floats);

    /// <summary>This thread's scratch buffer for gathered / to-be-scattered (C, nb·OH·OW) matrices.</summary>
    public static float* TmpBuffer(long floats) => (_tmp ??= new AlignedBuffer()).Ensure(floats);

    /// <summary>This thread's buffer for partial weight-gradient sums.</summary>
    public static float* PartialBuffer(long floats) => (_partial ??= new AlignedBuffer()).Ensure(floats);

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
                                int len = owHi - owLo;
                                System.Numerics.Tensors.TensorPrimitives.Add(
                                    new ReadOnlySpan<float>(drow + owLo, len), new ReadOnlySpan<float>(sv + owLo, len),
                                    new Span<float>(drow + owLo, len));
                            }
                            else
                                for (int x = owLo; x < owHi; x++) drow[x * s.StrideW] += sv[x];
                        }
                    }
                }
            }
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
