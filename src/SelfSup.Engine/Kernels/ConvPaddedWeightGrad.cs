using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SelfSup.Engine.Kernels;

/// <summary>
/// Weight gradient of a <see cref="Im2Col.SamePlane"/> convolution without a column matrix. The input and
/// gradOutput planes of a chunk of images are copied into zero-bordered (H + 2·PadH) × (W + 2·PadW) planes laid
/// end to end; then tap (kh, kw) of every output position is the padded input shifted by the constant
/// (kh − PadH)·Wp + (kw − PadW) along the flattened planes, so column (c, kh, kw) of the GEMM's B operand
/// (K = padded positions) is simply a row of the padded input read at an offset. Border positions hold
/// gradOutput 0 and contribute nothing, so no masks are needed. B panels are packed straight from those rows
/// (8×8 in-register transposes), which replaces im2col + transposed packing. Worth it only while the padded
/// planes add few positions (large maps); one instance per thread.
/// </summary>
internal sealed unsafe class ConvPaddedWeightGrad : GemmPanelSource
{
    [ThreadStatic] private static ConvPaddedWeightGrad? _forThread;

    private readonly AlignedBuffer _input = new(), _gradOut = new(), _packedA = new(), _zeros = new();
    private int _zeroLength;
    private float* _rows;            // padded input rows of the current group, one per channel
    private nint _rowLength;         // floats per channel row: margin + K + margin
    private int _margin, _taps, _columns;
    private int[] _shift = [];

    /// <summary>Whether the padded path applies: same-plane geometry and padding adds at most ~35 % positions.</summary>
    public static bool Applies(in Conv2dShape s)
        => Im2Col.SamePlane(in s)
           && 100L * (s.H + 2 * s.PadH) * (s.W + 2 * s.PadW) <= 135L * s.H * s.W;

    /// <summary>This thread's instance.</summary>
    public static ConvPaddedWeightGrad ForThread => _forThread ??= new ConvPaddedWeightGrad();

    /// <summary>
    /// part[g] (coG × cg·KH·KW, row stride cg·KH·KW) = beta·part[g] + gradOut·colᵀ for images [n0, n0+cnt) and
    /// every group; when <paramref name="bias"/> is not null, bias[co] = beta·bias[co] + Σ gradOut[co].
    /// Single-threaded; the summation order depends only on the shape.
    /// </summary>
    public void Accumulate(in Conv2dShape s, float* input, float* gradOut, int n0, int cnt, float* part, float* bias, float beta)
    {
        int hp = s.H + 2 * s.PadH, wp = s.W + 2 * s.PadW, plane = hp * wp, hw = s.H * s.W;
        int cg = s.Cin / s.Groups, coG = s.Cout / s.Groups, taps = s.KH * s.KW, kg = cg * taps;
        int k = cnt * plane;
        _margin = s.PadH * wp + s.PadW;
        _rowLength = 2 * _margin + k;
        _taps = taps;
        _columns = kg;
        if (_shift.Length != taps) _shift = new int[taps];
        for (int t = 0; t < taps; t++) _shift[t] = (t / s.KW - s.PadH) * wp + t % s.KW - s.PadW;

        float* padIn = _input.Ensure(s.Cin * _rowLength);
        float* padOut = _gradOut.Ensure((long)s.Cout * k);
        new Span<float>(padIn, (int)(s.Cin * _rowLength)).Clear();
        new Span<float>(padOut, s.Cout * k).Clear();
        for (int i = 0; i < cnt; i++)
        {
            float* srcIn = input + (nint)(n0 + i) * s.Cin * hw;
            for (int c = 0; c < s.Cin; c++)
                CopyInterior(srcIn + (nint)c * hw, padIn + c * _rowLength + _margin + (nint)i * plane, s, wp);
            float* srcOut = gradOut + (nint)(n0 + i) * s.Cout * hw;
            for (int co = 0; co < s.Cout; co++)
                CopyInterior(srcOut + (nint)co * hw, padOut + (nint)co * k + (nint)i * plane, s, wp);
        }

        var cfg = GemmDriver.ConfigFor(GemmDriver.BestPath, coG, kg);
        float* packedA = _packedA.Ensure(GemmDriver.PackedASize(in cfg, coG, k));
        for (int g = 0; g < s.Groups; g++)
        {
            float* a = padOut + (nint)g * coG * k;
            GemmDriver.PackWholeA(in cfg, false, a, k, coG, k, packedA);
            _rows = padIn + g * cg * _rowLength;
            GemmDriver.RunPackedA(in cfg, packedA, coG, kg, k, this, part + (nint)g * coG * kg, kg, beta);
            if (bias != null)
                for (int co = 0; co < coG; co++)
                {
                    float sum = System.Numerics.Tensors.TensorPrimitives.Sum(new ReadOnlySpan<float>(a + (nint)co * k, k));
                    bias[g * coG + co] = beta == 0f ? sum : bias[g * coG + co] + sum;
                }
        }
    }

    /// <summary>Copies an H×W plane into the interior of a zeroed padded plane (row stride wp).</summary>
    private static void CopyInterior(float* src, float* dstPlane, in Conv2dShape s, int wp)
    {
        float* d = dstPlane + (nint)s.PadH * wp + s.PadW;
        for (int y = 0; y < s.H; y++, src += s.W, d += wp)
            Unsafe.CopyBlockUnaligned(d, src, (uint)(s.W * sizeof(float)));
    }

    /// <summary>Packs B(p, j) = padded input row of channel j / taps, at position p + shift[j mod taps].</summary>
    public override void PackPanel(int p0, int j0, int kc, int nc, int nr, float* dst)
    {
        if (_zeroLength < kc + 8)
        {
            _zeroLength = kc + 8;
            new Span<float>(_zeros.Ensure(_zeroLength), _zeroLength).Clear();
        }
        float* zeros = _zeros.Ensure(_zeroLength);
        float** r = stackalloc float*[8];
        int slivers = (nc + nr - 1) / nr, p8 = kc & ~7;
        for (int s = 0; s < slivers; s++)
        {
            float* d = dst + (nint)s * kc * nr;
            for (int c8 = 0; c8 < nr; c8 += 8)
            {
                for (int t = 0; t < 8; t++)
                {
                    int j = j0 + s * nr + c8 + t;
                    if (j < j0 + nc && j < _columns)
                    {
                        int c = j / _taps;
                        r[t] = _rows + c * _rowLength + _margin + _shift[j - c * _taps] + p0;
                    }
                    else r[t] = zeros;
                }
                float* dc = d + c8;
                if (Avx.IsSupported)
                    for (int p = 0; p < p8; p += 8) Transpose8x8(r, p, dc + (nint)p * nr, nr);
                else p8 = 0;
                for (int t = 0; t < 8; t++)
                {
                    float* src = r[t];
                    for (int p = p8; p < kc; p++) dc[(nint)p * nr + t] = src[p];
                }
            }
        }
    }

    /// <summary>dst row i (stride lds) = element i of rows r[0..8) at offset p: an 8×8 transpose.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float** r, int p, float* dst, nint lds) => Kernels.Transpose8x8.Store(
        Avx.LoadVector256(r[0] + p), Avx.LoadVector256(r[1] + p), Avx.LoadVector256(r[2] + p), Avx.LoadVector256(r[3] + p),
        Avx.LoadVector256(r[4] + p), Avx.LoadVector256(r[5] + p), Avx.LoadVector256(r[6] + p), Avx.LoadVector256(r[7] + p),
        dst, lds);
}
