using System.Numerics.Tensors;
using System.Runtime.Intrinsics.X86;

namespace SelfSup.Engine.Kernels;

/// <summary>
/// Direct 3×3 convolution (padding 1, stride 1 or 2, groups 1) for small channel counts, AVX-512: no im2col and no
/// packed column panels. Each chunk of images is copied once into a zero-bordered <see cref="ConvDirectGrid"/>
/// (stride 2: into its four row/column phases), where every (channel, tap) is a constant shift of the flat grid;
/// the micro-kernels then read those shifted rows directly (<see cref="ConvDirectKernels"/>). The forward pass and
/// the input gradient run 8 output channels × 48 positions per register tile; the stride-1 input gradient is the
/// convolution of gradOut with the flipped weight, the stride-2 one is computed per input phase (a transposed
/// convolution's taps split by parity). The weight gradient reduces gradOut × shifted rows over positions.
/// </summary>
internal static unsafe class ConvDirect3x3
{
    /// <summary>Switch for tests and benchmarks that compare with the im2col/GEMM path.</summary>
    internal static bool Enabled = true;

    [ThreadStatic] private static ConvDirectPlanes? _planes, _gradPlanes;
    [ThreadStatic] private static AlignedBuffer? _outGrid, _packed;

    /// <summary>Whether the direct path handles <paramref name="s"/>.</summary>
    public static bool Applies(in Conv2dShape s)
        => Enabled && Avx512F.IsSupported && s.Groups == 1 && s.KH == 3 && s.KW == 3 && s.PadH == 1 && s.PadW == 1
           && s.StrideH == s.StrideW && (s.StrideH == 1 || s.StrideH == 2) && s.N > 0
           && s.Cin <= 64 && s.Cout <= 64 && s.OutH * s.OutW >= 49;

    /// <summary>Images per chunk of the forward pass / input gradient: a grid of ~1000 positions, ≥ 4 chunks per thread.</summary>
    private static int ChunkImages(int oh, int ow, int n)
    {
        int want = Math.Max(1, 1024 / ((oh + 1) * (ow + 1)));
        return Math.Max(1, Math.Min(want, (n + 4 * Workers.Threads - 1) / (4 * Workers.Threads)));
    }

    private static void RunChunks(int n, int nb, Action<int> body)
    {
        int chunks = (n + nb - 1) / nb;
        if (chunks == 1) body(0);
        else Workers.For(chunks, body);
    }

    /// <summary>Offset of tap (kh, kw) of input channel c in the grid of the forward input (stride 1 or phases).</summary>
    private static int ForwardOffset(in ConvDirectGrid g, int stride, int c, int kh, int kw)
        => stride == 1
            ? c * g.ChanStride + g.Shift(kh - 1, kw - 1)
            : (4 * c + 2 * (kh == 1 ? 0 : 1) + (kw == 1 ? 0 : 1)) * g.ChanStride + g.Shift(kh == 0 ? -1 : 0, kw == 0 ? -1 : 0);

    /// <summary>Offsets of every (input channel, tap) entry, in weight order, plus 6 copies of the last (kernel slack).</summary>
    internal static int[] ForwardOffsets(in ConvDirectGrid g, int stride, int cin)
    {
        var offs = new int[cin * 9 + 6];
        for (int c = 0; c < cin; c++)
            for (int t = 0; t < 9; t++) offs[c * 9 + t] = ForwardOffset(in g, stride, c, t / 3, t % 3);
        for (int i = cin * 9; i < offs.Length; i++) offs[i] = offs[cin * 9 - 1];
        return offs;
    }

    /// <summary>output = conv(input, weight) + bias (bias may be null).</summary>
    public static void Forward(in Conv2dShape s, float* input, float* weight, float* bias, float* output)
    {
        int stride = s.StrideH, k = s.Cin * 9, cout = s.Cout, ohw = s.OutH * s.OutW;
        int nb = ChunkImages(s.OutH, s.OutW, s.N);
        var g = new ConvDirectGrid(s.OutH, s.OutW, nb);
        var offs = ForwardOffsets(in g, stride, s.Cin);
        // packed[block][entry][r] = weight[8·block + r, entry]: 8 output channels per register tile.
        int blocks = (cout + 7) / 8;
        float* packed = (_packed ??= new AlignedBuffer()).Ensure((long)blocks * k * 8);
        for (int b = 0; b < blocks; b++)
            for (int e = 0; e < k; e++)
                for (int r = 0; r < 8; r++)
                {
                    int co = b * 8 + r;
                    packed[((nint)b * k + e) * 8 + r] = co < cout ? weight[(nint)co * k + e] : 0f;
                }
        var shape = s;
        nint pin = (nint)input, pw = (nint)packed, pb = (nint)bias, pout = (nint)output;
        RunChunks(s.N, nb, chunk =>
        {
            int n0 = chunk * nb, cnt = Math.Min(nb, shape.N - n0);
            float* planes = (_planes ??= new ConvDirectPlanes()).For(in g, stride == 1 ? shape.Cin : 4 * shape.Cin);
            if (stride == 1) ConvDirectPlanes.Fill(in g, planes, (float*)pin, shape.Cin, 0, shape.Cin, n0, cnt);
            else ConvDirectPlanes.FillPhases(in g, planes, (float*)pin, shape.Cin, shape.H, shape.W, n0, cnt);
            float* grid = (_outGrid ??= new AlignedBuffer()).Ensure((long)cout * g.GridPad);
            fixed (int* o = offs) Compute(in g, cnt, k, o, planes + g.GridBase, (float*)pw, cout, grid);
            float* dst = (float*)pout + (nint)n0 * cout * ohw;
            for (int i = 0; i < cnt; i++)
                for (int co = 0; co < cout; co++)
                {
                    float* d = dst + ((nint)i * cout + co) * ohw;
                    for (int y = 0; y < g.Oh; y++) ConvDirectPlanes.CopyRow(d + y * g.Ow, grid + (nint)co * g.GridPad + g.Row(i, y), g.Ow);
                    if (pb != 0) TensorPrimitives.Add(new Span<float>(d, ohw), ((float*)pb)[co], new Span<float>(d, ohw));
                }
        });
    }

    /// <summary>dst[r, q] = Σ_e packed[r / 8][e][r % 8] · src[offs[e] + q] over the grid positions of <paramref name="count"/> images.</summary>
    private static void Compute(in ConvDirectGrid g, int count, int k, int* offs, float* src, float* packed, int rows, float* dst)
    {
        int len = g.Length(count);
        for (int q = 0; q < len; q += 48)
            for (int b = 0; b * 8 < rows; b++)
                ConvDirectKernels.Forward8x48(k, offs, src + q, packed + (nint)b * k * 8, dst + (nint)b * 8 * g.GridPad + q,
                    g.GridPad, Math.Min(8, rows - b * 8));
    }

    /// <summary>gradInput = ∂L/∂input given ∂L/∂output (overwritten).</summary>
    public static void BackwardInput(in Conv2dShape s, float* gradOutput, float* weight, float* gradInput)
    {
        int nb = ChunkImages(s.OutH, s.OutW, s.N);
        var g = new ConvDirectGrid(s.OutH, s.OutW, nb);
        var plan = PlanBackwardInput(in s, in g, weight);
        var shape = s;
        nint pgo = (nint)gradOutput, pgi = (nint)gradInput;
        RunChunks(s.N, nb, chunk =>
        {
            int n0 = chunk * nb, cnt = Math.Min(nb, shape.N - n0);
            float* planes = (_gradPlanes ??= new ConvDirectPlanes()).For(in g, shape.Cout);
            ConvDirectPlanes.Fill(in g, planes, (float*)pgo, shape.Cout, 0, shape.Cout, n0, cnt);
            BackwardInputChunk(in shape, in g, plan, planes, n0, cnt, (float*)pgi);
        });
    }

    /// <summary>What the input gradient needs for one grid geometry: per phase (4 for stride 2, else 1) the (co, tap)
    /// entries' offsets in gradOut's grid and the weights packed 8 input channels per register tile.</summary>
    internal sealed class BackwardInputPlan
    {
        public required int[] Start { get; init; }                   // phase p's entries: [Start[p], Start[p + 1])
        public required int[] Offsets { get; init; }
        public required nint Packed { get; init; }                   // the calling thread's buffer: use before its next conv
        public required int Blocks { get; init; }
        public int Phases => Start.Length - 1;
    }

    /// <summary>The <see cref="BackwardInputPlan"/> of <paramref name="s"/> on grid <paramref name="g"/>.</summary>
    internal static BackwardInputPlan PlanBackwardInput(in Conv2dShape s, in ConvDirectGrid g, float* weight)
    {
        int cin = s.Cin, cout = s.Cout, stride = s.StrideH;
        // Stride 1: the grid is the input plane; stride 2: the output plane, and each input phase (a, b) gets its own pass.
        int phases = stride == 1 ? 1 : 4;
        // Entries of phase p: (co, kh, kw) with kh ≡ 1 − a (mod 2) for stride 2 (all taps for stride 1), reading gradOut
        // at (u + (1 − kh) / stride-ish shift): stride 1 shift (1 − kh, 1 − kw); stride 2 shift ([kh = 0], [kw = 0]).
        var start = new int[phases + 1];
        var entries = new List<(int Co, int Tap, int Offset)>();
        for (int p = 0; p < phases; p++)
        {
            start[p] = entries.Count;
            int a = p >> 1, b = p & 1;
            for (int co = 0; co < cout; co++)
                for (int kh = 0; kh < 3; kh++)
                    for (int kw = 0; kw < 3; kw++)
                    {
                        if (stride == 2 && ((kh == 1) != (a == 0) || (kw == 1) != (b == 0))) continue;
                        int shift = stride == 1 ? g.Shift(1 - kh, 1 - kw) : g.Shift(kh == 0 ? 1 : 0, kw == 0 ? 1 : 0);
                        entries.Add((co, kh * 3 + kw, co * g.ChanStride + shift));
                    }
        }
        start[phases] = entries.Count;
        var offs = new int[entries.Count + 6];
        for (int e = 0; e < entries.Count; e++) offs[e] = entries[e].Offset;
        // packed per phase: [block][entry][r] = weight[co, 8·block + r, tap].
        int blocks = (cin + 7) / 8;
        float* packed = (_packed ??= new AlignedBuffer()).Ensure((long)blocks * entries.Count * 8);
        for (int p = 0; p < phases; p++)
        {
            int k = start[p + 1] - start[p];
            float* pp = packed + (nint)blocks * start[p] * 8;
            for (int bl = 0; bl < blocks; bl++)
                for (int e = 0; e < k; e++)
                    for (int r = 0; r < 8; r++)
                    {
                        int ci = bl * 8 + r;
                        var (co, tap, _) = entries[start[p] + e];
                        pp[((nint)bl * k + e) * 8 + r] = ci < cin ? weight[((nint)co * cin + ci) * 9 + tap] : 0f;
                    }
        }
        return new BackwardInputPlan { Start = start, Offsets = offs, Packed = (nint)packed, Blocks = blocks };
    }

    /// <summary>gradInput of images [n0, n0 + cnt) from their gradOut, already in <paramref name="goutPlanes"/>
    /// (<see cref="ConvDirectPlanes.Fill"/> layout of grid <paramref name="g"/>).</summary>
    internal static void BackwardInputChunk(in Conv2dShape s, in ConvDirectGrid g, BackwardInputPlan plan, float* goutPlanes,
        int n0, int cnt, float* gradInput)
    {
        int cin = s.Cin, hw = s.H * s.W, phases = plan.Phases;
        // Phase p's input gradient lands in grid p; stride 2 then interleaves the four into gradInput rows.
        float* grid = (_outGrid ??= new AlignedBuffer()).Ensure((long)phases * cin * g.GridPad + 64);
        for (int p = 0; p < phases; p++)
            fixed (int* o = plan.Offsets)
                Compute(in g, cnt, plan.Start[p + 1] - plan.Start[p], o + plan.Start[p], goutPlanes + g.GridBase,
                    (float*)plan.Packed + (nint)plan.Blocks * plan.Start[p] * 8, cin, grid + (nint)p * cin * g.GridPad);
        nint phase = (nint)cin * g.GridPad;
        for (int i = 0; i < cnt; i++)
            for (int ci = 0; ci < cin; ci++)
            {
                float* d = gradInput + ((nint)(n0 + i) * cin + ci) * hw;
                float* src = grid + (nint)ci * g.GridPad;
                if (phases == 1)
                    for (int y = 0; y < s.H; y++) ConvDirectPlanes.CopyRow(d + y * s.W, src + g.Row(i, y), s.W);
                else
                    for (int iy = 0; iy < s.H; iy++)
                    {
                        float* even = src + (iy & 1) * 2 * phase + g.Row(i, iy >> 1);
                        ConvDirectPlanes.Interleave(d + iy * s.W, even, even + phase, s.W);
                    }
            }
    }
}
