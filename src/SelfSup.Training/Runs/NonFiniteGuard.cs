using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using SelfSup.Engine;
using SelfSup.Methods;

namespace SelfSup.Training;

/// <summary>
/// Keeps a diverging batch from reaching the weights: after the forward and backward of a batch, and before the
/// optimiser applies it, the loss and every gradient must be finite. A bad batch either stops the run (the default:
/// the weights, optimiser state and checkpoints stay as they were after the last good step) or, within the
/// <c>--skip-nonfinite N</c> budget, is skipped: no optimiser step, no after-step update (queue, momentum encoder,
/// bank), and the BatchNorm running statistics its forward pass changed are put back.
/// </summary>
public sealed class NonFiniteGuard(SslMethod method, Engine.Optim.Optimizer optimizer, int allowedSkips)
{
    readonly List<(float[] Values, Tensor Into)> floatBuffers = [];
    readonly List<(int[] Values, IntTensor Into)> intBuffers = [];

    /// <summary>Batches skipped so far in this process.</summary>
    public int Skipped { get; private set; }

    /// <summary>Whether another bad batch may be skipped rather than end the run.</summary>
    public bool CanSkip => Skipped < allowedSkips;

    /// <summary>Before a batch's forward pass: remembers the buffers (BN running statistics) the forward may change,
    /// when a skip could need them back.</summary>
    public void BeforeForward()
    {
        if (!CanSkip) return;
        if (floatBuffers.Count == 0 && intBuffers.Count == 0)
            foreach (var (_, e) in method.NamedBuffers())
            {
                if (e.Float is { } f) floatBuffers.Add((new float[f.Numel], f));
                else intBuffers.Add((new int[e.Int!.Numel], e.Int!));
            }
        foreach (var (values, from) in floatBuffers) from.Contiguous().Span.CopyTo(values);
        foreach (var (values, from) in intBuffers) from.Data.AsSpan(0, values.Length).CopyTo(values);
    }

    /// <summary>Null when <paramref name="loss"/> and every gradient are finite, else what is not ("loss NaN",
    /// "gradient of backbone.conv1.weight").</summary>
    public string? Problem(float loss)
    {
        if (!float.IsFinite(loss)) return $"loss {loss}";
        foreach (var group in optimizer.Groups)
            foreach (var (name, p) in group.Parameters)
                if (p.Grad is { } g && !float.IsFinite(TensorPrimitives.MaxMagnitude(g.Contiguous().Span)))   // NaN propagates
                    return $"gradient of {name} not finite";
        return null;
    }

    /// <summary>After the optimiser step: null when every parameter is still finite, else the first that is not (a finite
    /// gradient times a huge lr can overflow; such a state is never checkpointed or trained on).</summary>
    public string? WeightProblem()
    {
        foreach (var group in optimizer.Groups)
            foreach (var (name, p) in group.Parameters)
                if (!float.IsFinite(TensorPrimitives.MaxMagnitude(p.Contiguous().Span)))
                    return $"the step made {name} not finite";
        return null;
    }

    /// <summary>Skips the batch just computed: drops its gradients and restores the buffers.</summary>
    public void Skip()
    {
        if (!CanSkip) throw new InvalidOperationException("no skips left");
        Skipped++;
        optimizer.ZeroGrad();
        foreach (var (values, into) in floatBuffers) values.CopyTo(into.Span);
        foreach (var (values, into) in intBuffers) values.CopyTo(into.Data.AsSpan());
    }
}
