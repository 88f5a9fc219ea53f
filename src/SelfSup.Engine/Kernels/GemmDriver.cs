using System.Runtime.Intrinsics.X86;

namespace SelfSup.Engine.Kernels;

/// <summary>Instruction-set path of the GEMM micro-kernel.</summary>
internal enum GemmPath
{
    /// <summary>Cross-platform Vector128 4x8 kernel.</summary>
    Portable,
    /// <summary>AVX2 + FMA 6x16 kernel.</summary>
    Avx2,
    /// <summary>AVX-512F kernel.</summary>
    Avx512,
}

/// <summary>
/// An implicit B operand: writes the kc x nc panel of B starting at (p0, j0) in the packed layout of
/// <see cref="GemmPack.PackB"/> (NR-column slivers, row-major within a sliver, zero-padded columns).
/// </summary>
internal abstract unsafe class GemmPanelSource
{
    public abstract void PackPanel(int p0, int j0, int kc, int nc, int nr, float* dst);
}

/// <summary>Register and cache blocking parameters of one micro-kernel.</summary>
internal readonly unsafe struct GemmConfig(int mr, int nr, int kc, int mc, int nc,
    delegate*<int, float*, float*, float*, nint, float, void> kernel)
{
    public readonly int MR = mr, NR = nr, KC = kc, MC = mc, NC = nc;
    public readonly delegate*<int, float*, float*, float*, nint, float, void> Kernel = kernel;
}

/// <summary>
/// The Goto/BLIS five-loop GEMM driver (Goto &amp; van de Geijn 2008; Van Zee &amp; van de Geijn 2015,
/// "BLIS: A framework for rapidly instantiating BLAS functionality"):
/// jc over NC-column panels of B, pc over KC-deep slices (pack B panel, shared by all threads),
/// ic over MC-row blocks of A (pack A block per thread), then jr over NR slivers and ir over MR
/// slivers calling the micro-kernel. Threads split the ic loop (and the jr loop when M is short).
/// </summary>
internal static unsafe class GemmDriver
{
    /// <summary>The fastest path supported by this CPU.</summary>
    public static readonly GemmPath BestPath =
        Avx512F.IsSupported ? GemmPath.Avx512
        : Avx2.IsSupported && Fma.IsSupported ? GemmPath.Avx2
        : GemmPath.Portable;

    // Blocking choices (Zen 4/5: 32-48 KB L1d, 1 MB L2 per core, large shared L3):
    // * KC x NR of packed B (the sliver reused across the whole ir loop) should sit in L1:
    //   256 x 32 x 4 B = 32 KB.
    // * MC x KC of packed A (streamed once per jr iteration) should sit in L2: 168 x 256 x 4 B = 168 KB,
    //   leaving room for B slivers and C tiles.
    // * KC x NC of packed B lives in L3 (shared by the threads): 256 x 4096 x 4 B = 4 MB.
    // Three AVX-512 register blockings with the same ~24-28 accumulators; the driver picks the one that
    // wastes least of the padded edge tiles for the actual m and n (e.g. conv layers with m = Cout = 16
    // or 64 are exact multiples of 8 but not of 14). For 6x64 the B sliver (64 KB at KC = 256) exceeds
    // L1, but each k step does 24 FMAs per 4 B loads, so streaming it from L2 costs little.
    private static readonly GemmConfig[] Avx512Configs =
    [
        new(14, 32, 256, 168, 4096, &GemmKernelsAvx512.Kernel14x32),
        new(8, 48, 256, 160, 4080, &GemmKernelsAvx512.Kernel8x48),
        new(6, 64, 256, 144, 4096, &GemmKernelsAvx512.Kernel6x64),
    ];
    private static GemmConfig Avx2Config => new(6, 16, 256, 120, 4096, &GemmKernelsAvx2.Kernel6x16);
    private static GemmConfig PortableConfig => new(4, 8, 256, 128, 4096, &GemmKernelsPortable.Kernel4x8);

    /// <summary>Override of the AVX-512 configuration (benchmark/tuning hook); null = automatic.</summary>
    internal static GemmConfig? Avx512Override;

    /// <summary>Blocking for a path and problem size (m x n of C).</summary>
    public static GemmConfig ConfigFor(GemmPath path, int m, int n)
    {
        if (path == GemmPath.Avx2) return Avx2Config;
        if (path == GemmPath.Portable) return PortableConfig;
        if (Avx512Override is { } o) return o;
        // Fraction of the micro-kernel's work that lands in C; ties go to the first (14x32).
        int best = 0;
        double bestEff = 0;
        for (int i = 0; i < Avx512Configs.Length; i++)
        {
            var c = Avx512Configs[i];
            double eff = (double)m / RoundUp(m, c.MR) * n / RoundUp(n, c.NR);
            if (eff > bestEff + 0.02) { best = i; bestEff = eff; }
        }
        return Avx512Configs[best];
    }

    /// <summary>Forces one of the AVX-512 blockings by MR (14, 8 or 6); 0 restores automatic choice.</summary>
    internal static void ForceAvx512Mr(int mr)
        => Avx512Override = mr == 0 ? null : Array.Find(Avx512Configs, c => c.MR == mr);

    /// <summary>C = op(A)op(B) + beta C on raw pointers (arguments already validated).</summary>
    public static void Run(GemmPath path, bool parallel, bool transA, bool transB, int m, int n, int k,
        float* a, int lda, float* b, int ldb, float* c, int ldc, float beta)
    {
        if (m <= 0 || n <= 0) return;
        if (k <= 0)
        {
            ScaleC(m, n, c, ldc, beta);
            return;
        }
        GemmConfig cfg = ConfigFor(path, m, n);
        int threads = parallel ? Workers.Threads : 1;
        // Below ~0.5 MFLOP the fork/join cost outweighs the gain.
        if ((long)m * n * k < 256L * 1024) threads = 1;

        int ncMax = Math.Min(cfg.NC, n);
        int kcMax = Math.Min(cfg.KC, k);
        float* bufB = GemmPack.BufferB((long)kcMax * RoundUp(ncMax, cfg.NR));
        var job = threads > 1 ? new ParallelJob() : null;

        for (int jc = 0; jc < n; jc += cfg.NC)
        {
            int nc = Math.Min(cfg.NC, n - jc);
            int slivers = (nc + cfg.NR - 1) / cfg.NR;
            for (int pc = 0; pc < k; pc += cfg.KC)
            {
                int kc = Math.Min(cfg.KC, k - pc);
                float betaEff = pc == 0 ? beta : 1f;
                if (job is null)
                {
                    GemmPack.PackB(transB, b, ldb, pc, jc, kc, nc, cfg.NR, 0, slivers, bufB);
                    float* bufA = GemmPack.BufferA((long)RoundUp(Math.Min(cfg.MC, m), cfg.MR) * kc);
                    for (int ic = 0; ic < m; ic += cfg.MC)
                    {
                        int mc = Math.Min(cfg.MC, m - ic);
                        GemmPack.PackA(transA, a, lda, ic, pc, mc, kc, cfg.MR, bufA);
                        Macro(in cfg, mc, nc, kc, 0, slivers, bufA, bufB, c + (nint)ic * ldc + jc, ldc, betaEff);
                    }
                }
                else
                {
                    job.Set(in cfg, threads, transA, transB, m, nc, kc, a, lda, b, ldb, pc, jc, slivers, bufB,
                        c + jc, ldc, betaEff);
                    job.Run();
                }
            }
        }
    }

    /// <summary>Floats needed by <see cref="PackWholeA"/> for an m x k op(A).</summary>
    public static long PackedASize(in GemmConfig cfg, int m, int k) => (long)RoundUp(m, cfg.MR) * k;

    /// <summary>
    /// Packs all of op(A) (m x k) once, for repeated RunPackedA calls with the same
    /// <paramref name="cfg"/>: KC-deep slice pc at dst + RoundUp(m, MR)·pc, MR-row slivers within it
    /// (the layout <see cref="GemmPack.PackA"/> produces for a whole column of MC blocks).
    /// </summary>
    public static void PackWholeA(in GemmConfig cfg, bool transA, float* a, int lda, int m, int k, float* dst)
    {
        int mr = RoundUp(m, cfg.MR);
        for (int pc = 0; pc < k; pc += cfg.KC)
            GemmPack.PackA(transA, a, lda, 0, pc, m, Math.Min(cfg.KC, k - pc), cfg.MR, dst + (nint)mr * pc);
    }

    /// <summary>
    /// Single-threaded C = A·op(B) + beta C with A already packed by <see cref="PackWholeA"/> (same
    /// <paramref name="cfg"/>, m and k): only B is packed here.
    /// </summary>
    public static void RunPackedA(in GemmConfig cfg, float* packedA, int m, int n, int k,
        bool transB, float* b, int ldb, float* c, int ldc, float beta)
        => RunPackedA(in cfg, packedA, m, n, k, null, transB, b, ldb, c, ldc, beta);

    /// <summary>
    /// <see cref="RunPackedA(in GemmConfig, float*, int, int, int, bool, float*, int, float*, int, float)"/>
    /// with B panels produced by <paramref name="source"/> (an implicit matrix, e.g. im2col) instead of
    /// being copied from memory.
    /// </summary>
    public static void RunPackedA(in GemmConfig cfg, float* packedA, int m, int n, int k,
        GemmPanelSource source, float* c, int ldc, float beta)
        => RunPackedA(in cfg, packedA, m, n, k, source, false, null, 0, c, ldc, beta);

    private static void RunPackedA(in GemmConfig cfg, float* packedA, int m, int n, int k, GemmPanelSource? source,
        bool transB, float* b, int ldb, float* c, int ldc, float beta)
    {
        if (m <= 0 || n <= 0) return;
        if (k <= 0)
        {
            ScaleC(m, n, c, ldc, beta);
            return;
        }
        int mr = RoundUp(m, cfg.MR);
        int ncMax = Math.Min(cfg.NC, n);
        float* bufB = GemmPack.BufferB((long)Math.Min(cfg.KC, k) * RoundUp(ncMax, cfg.NR));
        for (int jc = 0; jc < n; jc += cfg.NC)
        {
            int nc = Math.Min(cfg.NC, n - jc);
            int slivers = (nc + cfg.NR - 1) / cfg.NR;
            for (int pc = 0; pc < k; pc += cfg.KC)
            {
                int kc = Math.Min(cfg.KC, k - pc);
                if (source is null) GemmPack.PackB(transB, b, ldb, pc, jc, kc, nc, cfg.NR, 0, slivers, bufB);
                else source.PackPanel(pc, jc, kc, nc, cfg.NR, bufB);
                float* slice = packedA + (nint)mr * pc;
                for (int ic = 0; ic < m; ic += cfg.MC)
                    Macro(in cfg, Math.Min(cfg.MC, m - ic), nc, kc, 0, slivers, slice + (nint)ic * kc, bufB,
                        c + (nint)ic * ldc + jc, ldc, pc == 0 ? beta : 1f);
            }
        }
    }

    /// <summary>Macro-kernel: packed mc x kc A block times NR slivers [s0, s1) of the packed B panel.</summary>
    private static void Macro(in GemmConfig cfg, int mc, int nc, int kc, int s0, int s1,
        float* pa, float* pb, float* c, nint ldc, float beta)
    {
        int MR = cfg.MR, NR = cfg.NR;
        var kernel = cfg.Kernel;
        float* tile = stackalloc float[MR * NR];
        for (int s = s0; s < s1; s++)
        {
            int j = s * NR;
            int nr = Math.Min(NR, nc - j);
            float* bs = pb + (nint)s * kc * NR;
            float* as_ = pa;
            for (int i = 0; i < mc; i += MR, as_ += (nint)MR * kc)
            {
                int mr = Math.Min(MR, mc - i);
                float* cp = c + (nint)i * ldc + j;
                if (mr == MR && nr == NR)
                {
                    kernel(kc, as_, bs, cp, ldc, beta);
                }
                else
                {
                    // Ragged edge: compute the full tile into scratch, then merge the valid part.
                    kernel(kc, as_, bs, tile, NR, 0f);
                    for (int r = 0; r < mr; r++)
                    {
                        float* cr = cp + r * ldc;
                        float* tr = tile + r * NR;
                        if (beta == 0f) for (int q = 0; q < nr; q++) cr[q] = tr[q];
                        else for (int q = 0; q < nr; q++) cr[q] = beta * cr[q] + tr[q];
                    }
                }
            }
        }
    }

    private static void ScaleC(int m, int n, float* c, int ldc, float beta)
    {
        for (int i = 0; i < m; i++)
        {
            var row = new Span<float>(c + (nint)i * ldc, n);
            if (beta == 0f) row.Clear();
            else if (beta != 1f) for (int q = 0; q < n; q++) row[q] *= beta;
        }
    }

    private static int RoundUp(int x, int to) => (x + to - 1) / to * to;

    /// <summary>
    /// One (jc, pc) step executed by all workers: the B panel is packed cooperatively (sliver ranges),
    /// then tasks = (MC block) x (sliver chunk) each pack their A block into a thread-local buffer.
    /// A class (not a closure) so that raw pointers can be carried across threads.
    /// </summary>
    private sealed class ParallelJob
    {
        private GemmConfig _cfg;
        private bool _transA, _transB;
        private int _m, _nc, _kc, _pc, _jc, _slivers, _mc, _mBlocks, _nChunks, _threads, _lda, _ldb, _ldc;
        private float* _a, _b, _bufB, _c;
        private float _beta;
        private readonly Action<int> _packB, _compute;

        public ParallelJob()
        {
            _packB = PackBChunk;
            _compute = Compute;
        }

        public void Set(in GemmConfig cfg, int threads, bool transA, bool transB, int m, int nc, int kc,
            float* a, int lda, float* b, int ldb, int pc, int jc, int slivers, float* bufB, float* c, int ldc, float beta)
        {
            _cfg = cfg; _threads = threads; _transA = transA; _transB = transB; _m = m; _nc = nc; _kc = kc;
            _a = a; _lda = lda; _b = b; _ldb = ldb; _pc = pc; _jc = jc; _slivers = slivers; _bufB = bufB;
            _c = c; _ldc = ldc; _beta = beta;
            // Enough MC blocks that every thread gets work; shrink MC (in MR steps) for small M.
            int perThread = (m + threads - 1) / threads;
            _mc = Math.Min(cfg.MC, RoundUp(perThread, cfg.MR));
            _mBlocks = (m + _mc - 1) / _mc;
            // When M alone cannot feed the threads, also split the NR slivers (jr loop).
            _nChunks = _mBlocks >= 2 * threads ? 1 : Math.Min(slivers, (2 * threads + _mBlocks - 1) / _mBlocks);
        }

        public void Run()
        {
            Workers.For(Math.Min(_threads, _slivers), _packB);
            Workers.For(_mBlocks * _nChunks, _compute);
        }

        private void PackBChunk(int t)
        {
            int parts = Math.Min(_threads, _slivers);
            int s0 = (int)((long)_slivers * t / parts), s1 = (int)((long)_slivers * (t + 1) / parts);
            GemmPack.PackB(_transB, _b, _ldb, _pc, _jc, _kc, _nc, _cfg.NR, s0, s1, _bufB);
        }

        private void Compute(int t)
        {
            int ib = t / _nChunks, chunk = t % _nChunks;
            int ic = ib * _mc;
            int mc = Math.Min(_mc, _m - ic);
            int s0 = (int)((long)_slivers * chunk / _nChunks), s1 = (int)((long)_slivers * (chunk + 1) / _nChunks);
            if (s0 >= s1) return;
            float* bufA = GemmPack.BufferA((long)RoundUp(_mc, _cfg.MR) * _kc);
            GemmPack.PackA(_transA, _a, _lda, ic, _pc, mc, _kc, _cfg.MR, bufA);
            Macro(in _cfg, mc, _nc, _kc, s0, s1, bufA, _bufB, _c + (nint)ic * _ldc, _ldc, _beta);
        }
    }
}
