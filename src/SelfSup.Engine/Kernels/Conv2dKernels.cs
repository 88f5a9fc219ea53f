using System.Numerics.Tensors;

namespace SelfSup.Engine.Kernels;

/// <summary>
/// 2-D convolution kernels (NCHW float32, weight (Cout, Cin/groups, KH, KW), any stride and symmetric
/// padding, groups ≥ 1, dilation 1), lowered to GEMM through im2col (Chellapilla et al. 2006).
/// Work is split over chunks of consecutive images: each worker packs its chunk into a thread-local
/// column buffer and runs a single-threaded GEMM, so the batch dimension provides the parallelism
/// and the per-thread working set stays cache-friendly. Small batches fall back to sequential chunks
/// with multi-threaded GEMMs. 1×1 stride-1 unpadded convolutions use the input directly (no im2col).
/// </summary>
public static unsafe class Conv2dKernels
{
    /// <summary>output = conv(input, weight) + bias. <paramref name="bias"/> empty means no bias.</summary>
    public static void Forward(in Conv2dShape s, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output)
    {
        s.Validate();
        Check(input.Length, s.InputSize, nameof(input));
        Check(weight.Length, s.WeightSize, nameof(weight));
        if (!bias.IsEmpty) Check(bias.Length, s.Cout, nameof(bias));
        Check(output.Length, s.OutputSize, nameof(output));
        if (s.N == 0) return;
        fixed (float* pi = input, pw = weight, pb = bias, po = output)
        {
            if (ConvDirect3x3.Applies(in s))
            {
                ConvDirect3x3.Forward(in s, pi, pw, bias.IsEmpty ? null : pb, po);
                return;
            }
            if (ConvTiny3x3.Applies(in s))
            {
                ConvTiny3x3.Forward(in s, pi, pw, bias.IsEmpty ? null : pb, po);
                return;
            }
            var job = new ConvJob(s) { Input = pi, Weight = pw, Bias = bias.IsEmpty ? null : pb, Output = po };
            job.PrepackForwardWeight();
            job.RunChunks(job.ForwardChunk);
        }
    }

    /// <summary>gradInput = ∂L/∂input given ∂L/∂output (overwrites <paramref name="gradInput"/>).</summary>
    public static void BackwardInput(in Conv2dShape s, ReadOnlySpan<float> gradOutput, ReadOnlySpan<float> weight,
        Span<float> gradInput)
    {
        CheckBackwardInput(in s, gradOutput, weight, gradInput);
        if (s.N == 0) return;
        fixed (float* pg = gradOutput, pw = weight, pi = gradInput)
        {
            if (ConvDirect3x3.Applies(in s))
            {
                ConvDirect3x3.BackwardInput(in s, pg, pw, pi);
                return;
            }
            if (ConvTiny3x3.Applies(in s))
            {
                ConvTiny3x3.BackwardInput(in s, pg, pw, pi);
                return;
            }
            if (Im2Col.SamePlane(in s) && !(s.KH == 1 && s.KW == 1))
            {
                // Stride 1, output plane = input plane: the input gradient is the forward convolution of
                // gradOutput with the transposed, spatially flipped weight (same padding), which writes
                // gradInput directly instead of a column matrix plus col2im scatter-add.
                var t = s with { Cin = s.Cout, Cout = s.Cin };
                float* flipped = Im2Col.FlippedWeightBuffer(s.WeightSize);
                FlipTranspose(in s, pw, flipped);
                var fwd = new ConvJob(t) { Input = pg, Weight = flipped, Output = pi };
                fwd.PrepackForwardWeight();
                fwd.RunChunks(fwd.ForwardChunk);
                return;
            }
            var job = new ConvJob(s) { Output = pg, Weight = pw, Input = pi };
            job.RunChunks(job.BackwardInputChunk);
        }
    }

    /// <summary>
    /// <see cref="BackwardInput"/> and <see cref="BackwardWeight"/> together, with the same results; where the direct
    /// 3×3 kernels apply they share one pass over the images (gradOutput is copied into their grid once, not twice).
    /// </summary>
    public static void Backward(in Conv2dShape s, ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput, ReadOnlySpan<float> weight,
        Span<float> gradInput, Span<float> gradWeight, Span<float> gradBias)
    {
        if (!ConvDirect3x3.Applies(in s))
        {
            BackwardInput(in s, gradOutput, weight, gradInput);
            BackwardWeight(in s, input, gradOutput, gradWeight, gradBias);
            return;
        }
        CheckBackwardInput(in s, gradOutput, weight, gradInput);
        CheckBackwardWeight(in s, input, gradOutput, gradWeight, gradBias);
        fixed (float* pi = input, pg = gradOutput, pw = weight, pgi = gradInput, pgw = gradWeight, pgb = gradBias)
            ConvDirectWeightGrad.Run(in s, pi, pg, pgw, gradBias.IsEmpty ? null : pgb, pw, pgi);
    }

    /// <summary>
    /// gradWeight = ∂L/∂weight and (when non-empty) gradBias = ∂L/∂bias, given the forward input and
    /// ∂L/∂output. Both are overwritten. A fixed number of partial sums (by shape, not thread count) each
    /// accumulate a fixed range of images (GEMM with beta = 1) and are reduced in order, so the result is
    /// bit-identical for any number of threads.
    /// </summary>
    public static void BackwardWeight(in Conv2dShape s, ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput,
        Span<float> gradWeight, Span<float> gradBias)
    {
        CheckBackwardWeight(in s, input, gradOutput, gradWeight, gradBias);
        int wsize = (int)s.WeightSize;
        var gw = gradWeight[..wsize];
        var gb = gradBias.IsEmpty ? gradBias : gradBias[..s.Cout];
        if (s.N == 0)
        {
            gw.Clear();
            gb.Clear();
            return;
        }
        fixed (float* pi = input, pg = gradOutput, pgw = gw, pgb = gb)
        {
            if (ConvDirect3x3.Applies(in s))
            {
                ConvDirectWeightGrad.Run(in s, pi, pg, pgw, gb.IsEmpty ? null : pgb);
                return;
            }
            var job = new ConvJob(s) { Input = pi, Output = pg, WantBias = !gradBias.IsEmpty };
            int partials = job.WeightPartialCount, stride = wsize + s.Cout;
            var storage = TensorMemory.Allocate(partials * stride, zeroed: false);          // partial sums, reused from the pool
            fixed (float* parts = storage.Array)
            {
                nint basePtr = (nint)parts;
                if (partials == 1) job.WeightPartial(0, parts);
                else Workers.For(partials, p => job.WeightPartial(p, (float*)basePtr + (nint)p * stride));
                // Reduce in partial order: the same additions whatever the thread count.
                var sums = new ReadOnlySpan<float>(parts, stride);
                sums[..wsize].CopyTo(gw);
                if (!gb.IsEmpty) sums.Slice(wsize, s.Cout).CopyTo(gb);
                for (int p = 1; p < partials; p++)
                {
                    var part = new ReadOnlySpan<float>(parts + (nint)p * stride, stride);
                    TensorPrimitives.Add(gw, part[..wsize], gw);
                    if (!gb.IsEmpty) TensorPrimitives.Add(gb, part.Slice(wsize, s.Cout), gb);
                }
            }
            TensorMemory.Recycle(storage);                                                   // ours alone: reusable at once
        }
    }

    /// <summary>
    /// dst[ci, co', kh', kw'] = w[g·coG + co', ci − g·cg, KH−1−kh', KW−1−kw'] for ci in group g: the weight
    /// (Cin, Cout/groups, KH, KW) of the transposed convolution, as a forward weight.
    /// </summary>
    private static void FlipTranspose(in Conv2dShape s, float* w, float* dst)
    {
        int cg = s.Cin / s.Groups, coG = s.Cout / s.Groups, taps = s.KH * s.KW;
        for (int ci = 0; ci < s.Cin; ci++)
        {
            int g = ci / cg, cil = ci - g * cg;
            for (int col = 0; col < coG; col++)
            {
                float* src = w + ((nint)(g * coG + col) * cg + cil) * taps;
                float* d = dst + ((nint)ci * coG + col) * taps;
                for (int t = 0; t < taps; t++) d[t] = src[taps - 1 - t];
            }
        }
    }

    private static void CheckBackwardInput(in Conv2dShape s, ReadOnlySpan<float> gradOutput, ReadOnlySpan<float> weight,
        Span<float> gradInput)
    {
        s.Validate();
        Check(gradOutput.Length, s.OutputSize, nameof(gradOutput));
        Check(weight.Length, s.WeightSize, nameof(weight));
        Check(gradInput.Length, s.InputSize, nameof(gradInput));
    }

    private static void CheckBackwardWeight(in Conv2dShape s, ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput,
        Span<float> gradWeight, Span<float> gradBias)
    {
        s.Validate();
        Check(input.Length, s.InputSize, nameof(input));
        Check(gradOutput.Length, s.OutputSize, nameof(gradOutput));
        Check(gradWeight.Length, s.WeightSize, nameof(gradWeight));
        if (!gradBias.IsEmpty) Check(gradBias.Length, s.Cout, nameof(gradBias));
    }

    private static void Check(int length, long required, string name)
    {
        if (length < required)
            throw new ArgumentException($"Span '{name}' has {length} elements; the convolution shape needs {required}.", name);
    }
}
