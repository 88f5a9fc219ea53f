namespace SelfSup.Engine.Kernels;

/// <summary>
/// Weight gradient of <see cref="ConvDirect3x3"/> shapes: gradWeight[co, e] = Σ over images and output positions of
/// gradOut[co, q] · grid[offset(e) + q], with gradOut copied into the same <see cref="ConvDirectGrid"/> as the input
/// (its border positions are zero, so whole grid rows can be reduced without masks). The images are cut into
/// chunks whose size depends on the shape only, and the chunks into at most 16 partial sums reduced in order, so the
/// bits are the same for any number of threads.
/// </summary>
internal static unsafe class ConvDirectWeightGrad
{
    [ThreadStatic] private static ConvDirectPlanes? _input, _gradOut;

    /// <summary>gradWeight (and gradBias when not null) for <paramref name="s"/>; both overwritten. With
    /// <paramref name="gradInput"/> (and the forward <paramref name="weight"/>) the input gradient is computed in the same
    /// pass, from the same copy of gradOut in the grid (the same values as <see cref="ConvDirect3x3.BackwardInput"/>).</summary>
    public static void Run(in Conv2dShape s, float* input, float* gradOutput, float* gradWeight, float* gradBias,
        float* weight = null, float* gradInput = null)
    {
        int stride = s.StrideH, k = s.Cin * 9, cout = s.Cout, wsize = cout * k;
        int nb = ChunkImages(s.N, s.OutH, s.OutW);
        var g = new ConvDirectGrid(s.OutH, s.OutW, nb);
        var offs = ConvDirect3x3.ForwardOffsets(in g, stride, s.Cin);
        var inputPlan = gradInput != null ? ConvDirect3x3.PlanBackwardInput(in s, in g, weight) : null;
        int chunks = (s.N + nb - 1) / nb, partials = Math.Min(MaxPartials, chunks), partSize = wsize + cout;
        var storage = TensorMemory.Allocate(partials * partSize, zeroed: true);
        var shape = s;
        bool wantBias = gradBias != null;
        nint pin = (nint)input, pgo = (nint)gradOutput, pgi = (nint)gradInput;
        fixed (float* parts = storage.Array)
        {
            nint pparts = (nint)parts;
            void Partial(int p)
            {
                float* part = (float*)pparts + (nint)p * partSize;
                int c0 = (int)((long)chunks * p / partials), c1 = (int)((long)chunks * (p + 1) / partials);
                for (int c = c0; c < c1; c++) Chunk(in shape, in g, c * nb, Math.Min(nb, shape.N - c * nb), offs,
                    (float*)pin, (float*)pgo, part, wantBias ? part + wsize : null, inputPlan, (float*)pgi);
            }
            if (partials == 1) Partial(0);
            else Workers.For(partials, Partial);
            // Reduce in partial order: the same additions whatever the thread count.
            var gw = new Span<float>(gradWeight, wsize);
            new ReadOnlySpan<float>(parts, wsize).CopyTo(gw);
            for (int p = 1; p < partials; p++)
                System.Numerics.Tensors.TensorPrimitives.Add(gw, new ReadOnlySpan<float>(parts + (nint)p * partSize, wsize), gw);
            if (wantBias)
            {
                var gb = new Span<float>(gradBias, cout);
                gb.Clear();
                for (int p = 0; p < partials; p++)
                    System.Numerics.Tensors.TensorPrimitives.Add(gb, new ReadOnlySpan<float>(parts + (nint)p * partSize + wsize, cout), gb);
            }
        }
        TensorMemory.Recycle(storage);                                                      // ours alone: reusable at once
    }

    /// <summary>
    /// Images per chunk: as many as fit a grid of about 1536 positions, but no fewer than 16 chunks when there are
    /// 16 images or more, so the 16 partial sums are equal in size (11 chunks of 24 images split 6:5 over 2 threads).
    /// </summary>
    internal static int ChunkImages(int n, int outH, int outW)
    {
        int nb = Math.Max(1, Math.Min(n, 1536 / ((outH + 1) * (outW + 1))));
        int chunks = (n + nb - 1) / nb;
        return chunks >= MaxPartials || n <= MaxPartials ? nb : (n + MaxPartials - 1) / MaxPartials;
    }

    const int MaxPartials = 16;

    /// <summary>Adds images [n0, n0+count)'s contribution to <paramref name="part"/> (and <paramref name="bias"/>); with an
    /// <paramref name="inputPlan"/>, also writes their input gradient.</summary>
    private static void Chunk(in Conv2dShape s, in ConvDirectGrid g, int n0, int count, int[] offs, float* input,
        float* gradOutput, float* part, float* bias, ConvDirect3x3.BackwardInputPlan? inputPlan, float* gradInput)
    {
        int stride = s.StrideH, k = s.Cin * 9, cout = s.Cout;
        float* planes = (_input ??= new ConvDirectPlanes()).For(in g, stride == 1 ? s.Cin : 4 * s.Cin);
        if (stride == 1) ConvDirectPlanes.Fill(in g, planes, input, s.Cin, 0, s.Cin, n0, count);
        else ConvDirectPlanes.FillPhases(in g, planes, input, s.Cin, s.H, s.W, n0, count);
        float* gout = (_gradOut ??= new ConvDirectPlanes()).For(in g, cout);
        ConvDirectPlanes.Fill(in g, gout, gradOutput, cout, 0, cout, n0, count);
        if (inputPlan is not null) ConvDirect3x3.BackwardInputChunk(in s, in g, inputPlan, gout, n0, count, gradInput);
        int len = (g.Length(count) + 15) & ~15; // past Length(count) gradOut is zero up to GridPad
        float* src = planes + g.GridBase, go = gout + g.GridBase;
        fixed (int* o = offs)
            for (int r = 0; r < cout; r += 4)
                for (int e = 0; e < k; e += 6)
                    ConvDirectKernels.WeightGrad4x6(len, go + (nint)r * g.ChanStride, g.ChanStride, Math.Min(4, cout - r),
                        src, o + e, Math.Min(6, k - e), part + (nint)r * k + e, k);
        if (bias != null)
            for (int co = 0; co < cout; co++)
                bias[co] += System.Numerics.Tensors.TensorPrimitives.Sum(new ReadOnlySpan<float>(go + (nint)co * g.ChanStride, len));
    }
}
