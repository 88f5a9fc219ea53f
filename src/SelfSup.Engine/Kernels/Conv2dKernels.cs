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
            var job = new ConvJob(s) { Input = pi, Weight = pw, Bias = bias.IsEmpty ? null : pb, Output = po };
            job.RunChunks(job.ForwardChunk);
        }
    }

    /// <summary>gradInput = ∂L/∂input given ∂L/∂output (overwrites <paramref name="gradInput"/>).</summary>
    public static void BackwardInput(in Conv2dShape s, ReadOnlySpan<float> gradOutput, ReadOnlySpan<float> weight,
        Span<float> gradInput)
    {
        s.Validate();
        Check(gradOutput.Length, s.OutputSize, nameof(gradOutput));
        Check(weight.Length, s.WeightSize, nameof(weight));
        Check(gradInput.Length, s.InputSize, nameof(gradInput));
        if (s.N == 0) return;
        fixed (float* pg = gradOutput, pw = weight, pi = gradInput)
        {
            var job = new ConvJob(s) { Output = pg, Weight = pw, Input = pi };
            job.RunChunks(job.BackwardInputChunk);
        }
    }

    /// <summary>
    /// gradWeight = ∂L/∂weight and (when non-empty) gradBias = ∂L/∂bias, given the forward input and
    /// ∂L/∂output. Both are overwritten. Each worker accumulates a private partial sum over its images
    /// (GEMM with beta = 1), and the partials are reduced at the end.
    /// </summary>
    public static void BackwardWeight(in Conv2dShape s, ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput,
        Span<float> gradWeight, Span<float> gradBias)
    {
        s.Validate();
        Check(input.Length, s.InputSize, nameof(input));
        Check(gradOutput.Length, s.OutputSize, nameof(gradOutput));
        Check(gradWeight.Length, s.WeightSize, nameof(gradWeight));
        if (!gradBias.IsEmpty) Check(gradBias.Length, s.Cout, nameof(gradBias));
        int wsize = (int)s.WeightSize;
        var gw = gradWeight[..wsize];
        var gb = gradBias.IsEmpty ? gradBias : gradBias[..s.Cout];
        if (s.N == 0)
        {
            gw.Clear();
            gb.Clear();
            return;
        }
        fixed (float* pi = input, pg = gradOutput)
        {
            var job = new ConvJob(s) { Input = pi, Output = pg, WantBias = !gradBias.IsEmpty };
            int tasks = job.ParallelOverChunks ? Math.Min(Workers.Threads, job.Chunks) : 1;
            job.Partials = new nint[tasks];
            if (tasks == 1) job.WeightTask(0);
            else Workers.For(tasks, job.WeightTask);

            // Reduce the per-thread partials: (weight grad, then bias grad) in one contiguous buffer.
            bool any = false;
            foreach (nint p in job.Partials)
            {
                if (p == 0) continue;
                var pw = new ReadOnlySpan<float>((float*)p, wsize);
                var pb = new ReadOnlySpan<float>((float*)p + wsize, s.Cout);
                if (!any)
                {
                    pw.CopyTo(gw);
                    if (!gb.IsEmpty) pb.CopyTo(gb);
                }
                else
                {
                    TensorPrimitives.Add(gw, pw, gw);
                    if (!gb.IsEmpty) TensorPrimitives.Add(gb, pb, gb);
                }
                any = true;
            }
            if (!any)
            {
                gw.Clear();
                gb.Clear();
            }
        }
    }

    private static void Check(int length, long required, string name)
    {
        if (length < required)
            throw new ArgumentException($"Span '{name}' has {length} elements; the convolution shape needs {required}.", name);
    }
}
