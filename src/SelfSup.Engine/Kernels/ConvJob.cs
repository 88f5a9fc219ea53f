using System.Numerics.Tensors;

namespace SelfSup.Engine.Kernels;

/// <summary>
/// One convolution call split into chunks of <see cref="Nb"/> consecutive images. A class holding raw
/// pointers (spans cannot be captured by worker closures); the caller keeps the memory pinned.
/// </summary>
/// <remarks>
/// Chunk size: enough images that the GEMM dimension nb·OH·OW reaches ~256 (a few NR slivers / a
/// decent KC for the weight gradient) — 1 image for 16×16 and larger maps, 16 images for 4×4 —
/// but never so many that the threads run out of chunks.
/// </remarks>
internal sealed unsafe class ConvJob
{
    private readonly Conv2dShape _s;
    private readonly int _cg, _coG, _kg, _ohw, _hw;
    private readonly bool _direct; // 1×1, stride 1, no padding: the input already is the column matrix
    private bool _parallelGemm;
    private GemmConfig _forwardCfg;
    private float* _packedWeight; // per group, GemmDriver.PackWholeA layout; null = pack per GEMM
    private long _packedGroupSize;

    public float* Input, Weight, Bias, Output;
    public bool WantBias;

    /// <summary>Images per chunk.</summary>
    public readonly int Nb;

    /// <summary>Number of chunks.</summary>
    public readonly int Chunks;

    /// <summary>Whether chunks are distributed over the workers (else GEMMs are multi-threaded).</summary>
    public readonly bool ParallelOverChunks;

    public ConvJob(in Conv2dShape s)
    {
        _s = s;
        _cg = s.Cin / s.Groups;
        _coG = s.Cout / s.Groups;
        _kg = _cg * s.KH * s.KW;
        _ohw = s.OutH * s.OutW;
        _hw = s.H * s.W;
        _direct = s.KH == 1 && s.KW == 1 && s.StrideH == 1 && s.StrideW == 1 && s.PadH == 0 && s.PadW == 0;
        int threads = Workers.Threads;
        int want = Math.Max(1, (256 + _ohw - 1) / _ohw);
        Nb = Math.Max(1, Math.Min(want, (s.N + threads - 1) / threads));
        Chunks = (s.N + Nb - 1) / Nb;
        // Over chunks only when the split is reasonably balanced; otherwise parallelise inside GEMM.
        ParallelOverChunks = threads > 1 && Chunks >= threads && (Chunks >= 4 * threads || Chunks % threads == 0);
        _parallelGemm = !ParallelOverChunks;
    }

    /// <summary>
    /// Packs the forward GEMM's A operand (the weight, per group) once for all chunks, into this
    /// thread's weight buffer (the caller's thread: it stays valid for the whole call). Only when chunks
    /// run in parallel; multi-threaded GEMMs pack their own A blocks.
    /// </summary>
    public void PrepackForwardWeight()
    {
        if (!ParallelOverChunks) return;
        _forwardCfg = GemmDriver.ConfigFor(GemmDriver.BestPath, _coG, Nb * _ohw);
        _packedGroupSize = GemmDriver.PackedASize(in _forwardCfg, _coG, _kg);
        _packedWeight = Im2Col.WeightBuffer(_packedGroupSize * _s.Groups);
        for (int g = 0; g < _s.Groups; g++)
            GemmDriver.PackWholeA(in _forwardCfg, false, Weight + (nint)g * _coG * _kg, _kg, _coG, _kg,
                _packedWeight + g * _packedGroupSize);
    }

    /// <summary>Runs <paramref name="body"/> for every chunk, over the workers or sequentially.</summary>
    public void RunChunks(Action<int> body)
    {
        if (ParallelOverChunks) Workers.For(Chunks, body);
        else for (int c = 0; c < Chunks; c++) body(c);
    }

    private void Gemm(bool ta, bool tb, int m, int n, int k, float* a, int lda, float* b, int ldb, float* c, int ldc, float beta)
        => GemmDriver.Run(GemmDriver.BestPath, _parallelGemm, ta, tb, m, n, k, a, lda, b, ldb, c, ldc, beta);

    /// <summary>Forward pass for one chunk: output = W·im2col(input) + bias, per group.</summary>
    public void ForwardChunk(int chunk)
    {
        int n0 = chunk * Nb, cnt = Math.Min(Nb, _s.N - n0), len = cnt * _ohw;
        bool implicitB = _packedWeight != null && _forwardCfg.NR % 16 == 0 && ConvIm2ColPanel.Applies(in _s)
            && !(_direct && cnt == 1);
        for (int g = 0; g < _s.Groups; g++)
        {
            float* wg = Weight + (nint)g * _coG * _kg;
            float* dst = cnt == 1
                ? Output + ((nint)n0 * _s.Cout + g * _coG) * _ohw
                : Im2Col.TmpBuffer((long)_coG * len);
            if (implicitB)
                GemmDriver.RunPackedA(in _forwardCfg, _packedWeight + g * _packedGroupSize, _coG, len, _kg,
                    ConvIm2ColPanel.For(in _s, Input, n0, cnt, g * _cg), dst, len, 0f);
            else ForwardGemm(g, n0, cnt, len, wg, dst);
            if (Bias != null)
                for (int co = 0; co < _coG; co++)
                {
                    var row = new Span<float>(dst + (nint)co * len, len);
                    TensorPrimitives.Add(row, Bias[g * _coG + co], row);
                }
            if (cnt != 1) Im2Col.Scatter(dst, _s.Cout, _ohw, n0, cnt, g * _coG, _coG, Output);
        }
    }

    /// <summary>Forward GEMM of group g from an explicit column matrix (or the input itself for direct 1×1).</summary>
    private void ForwardGemm(int g, int n0, int cnt, int len, float* wg, float* dst)
    {
        float* bmat;
        int ldb;
        if (_direct && cnt == 1)
        {
            bmat = Input + ((nint)n0 * _s.Cin + g * _cg) * _hw;
            ldb = _hw;
        }
        else
        {
            bmat = Im2Col.ColBuffer((long)_kg * len);
            Im2Col.Pack(in _s, Input, n0, cnt, g * _cg, _cg, bmat);
            ldb = len;
        }
        if (_packedWeight != null)
            GemmDriver.RunPackedA(in _forwardCfg, _packedWeight + g * _packedGroupSize, _coG, len, _kg,
                false, bmat, ldb, dst, len, 0f);
        else Gemm(false, false, _coG, len, _kg, wg, _kg, bmat, ldb, dst, len, 0f);
    }

    /// <summary>Input gradient for one chunk: col = Wᵀ·gradOut, then col2im (scatter-add).</summary>
    public void BackwardInputChunk(int chunk)
    {
        int n0 = chunk * Nb, cnt = Math.Min(Nb, _s.N - n0), len = cnt * _ohw;
        bool directOut = _direct && cnt == 1;
        if (!directOut) new Span<float>(Input + (nint)n0 * _s.Cin * _hw, cnt * _s.Cin * _hw).Clear();
        for (int g = 0; g < _s.Groups; g++)
        {
            float* gout = GroupOutputGradient(n0, cnt, g);
            float* wg = Weight + (nint)g * _coG * _kg;
            if (directOut)
            {
                float* gin = Input + ((nint)n0 * _s.Cin + g * _cg) * _hw;
                Gemm(true, false, _kg, len, _coG, wg, _kg, gout, len, gin, len, 0f);
            }
            else
            {
                float* col = Im2Col.ColBuffer((long)_kg * len);
                Gemm(true, false, _kg, len, _coG, wg, _kg, gout, len, col, len, 0f);
                Im2Col.Unpack(in _s, col, n0, cnt, g * _cg, _cg, Input);
            }
        }
    }

    /// <summary>Group <paramref name="g"/>'s output gradient for images [n0, n0+cnt) as a (coG, cnt·OH·OW) matrix: in
    /// place for one image, else gathered into this thread's scratch buffer.</summary>
    private float* GroupOutputGradient(int n0, int cnt, int g)
    {
        if (cnt == 1) return Output + ((nint)n0 * _s.Cout + g * _coG) * _ohw;
        float* gout = Im2Col.TmpBuffer((long)_coG * cnt * _ohw);
        Im2Col.Gather(Output, _s.Cout, _ohw, n0, cnt, g * _coG, _coG, gout);
        return gout;
    }

    /// <summary>Images per weight-gradient chunk: fixed by the shape alone (never by the thread count), so the
    /// gradient's summation order, and hence its bits, are the same however many threads run.</summary>
    public int WeightNb => Math.Max(1, Math.Min(_s.N, (256 + _ohw - 1) / _ohw));

    /// <summary>Partial sums of the weight gradient: 4 when there are enough chunks to share out, else 1.</summary>
    public int WeightPartialCount => (_s.N + WeightNb - 1) / WeightNb >= 8 ? 4 : 1;

    /// <summary>
    /// Weight-gradient partial <paramref name="p"/> of <see cref="WeightPartialCount"/>: accumulates gradOut·im2col(input)ᵀ
    /// (and the bias gradient) over its fixed, contiguous range of chunks, in order, into <paramref name="part"/>
    /// (weight gradient, then bias gradient). With one partial the GEMMs are multi-threaded (split over M/N, which keeps
    /// each element's summation order); with several, each runs single-threaded on its own worker.
    /// </summary>
    public void WeightPartial(int p, float* part)
    {
        int wsize = _s.Cout * _kg, nb = WeightNb, partials = WeightPartialCount;
        int chunks = (_s.N + nb - 1) / nb;
        int c0 = (int)((long)chunks * p / partials), c1 = (int)((long)chunks * (p + 1) / partials);
        bool parallelGemm = partials == 1;
        float* pbias = part + wsize;
        // Single-threaded GEMMs on large same-plane maps: padded planes instead of a column matrix.
        var padded = !parallelGemm && ConvPaddedWeightGrad.Applies(in _s) ? ConvPaddedWeightGrad.ForThread : null;
        for (int chunk = c0; chunk < c1; chunk++)
        {
            bool first = chunk == c0;
            int n0 = chunk * nb, cnt = Math.Min(nb, _s.N - n0), len = cnt * _ohw;
            if (padded != null)
            {
                padded.Accumulate(in _s, Input, Output, n0, cnt, part, WantBias ? pbias : null, first ? 0f : 1f);
                continue;
            }
            for (int g = 0; g < _s.Groups; g++)
            {
                float* gout = GroupOutputGradient(n0, cnt, g);
                float* col;
                if (_direct && cnt == 1) col = Input + ((nint)n0 * _s.Cin + g * _cg) * _hw;
                else
                {
                    col = Im2Col.ColBuffer((long)_kg * len);
                    Im2Col.Pack(in _s, Input, n0, cnt, g * _cg, _cg, col);
                }
                GemmDriver.Run(GemmDriver.BestPath, parallelGemm, false, true, _coG, _kg, len, gout, len, col, len,
                    part + (nint)g * _coG * _kg, _kg, first ? 0f : 1f);
                if (WantBias)
                    for (int co = 0; co < _coG; co++)
                    {
                        float sum = TensorPrimitives.Sum(new ReadOnlySpan<float>(gout + (nint)co * len, len));
                        pbias[g * _coG + co] = first ? sum : pbias[g * _coG + co] + sum;
                    }
            }
        }
    }
}
