namespace SelfSup.Engine;

/// <summary>
/// The gradients waiting to flow further back during one backward pass, keyed by the tensor they belong to.
/// It counts how many pending gradients use each storage buffer, so a buffer created during this pass goes
/// back to <see cref="TensorMemory"/> as soon as its last use has been consumed, as PyTorch frees gradients.
/// Rule for backward closures that makes this safe: never keep the incoming gradient beyond the call
/// (returning it, or a view of it, as an input's gradient is fine: the count sees it).
/// </summary>
internal sealed class PendingGradients
{
    readonly Dictionary<Tensor, Tensor> byTensor = new(ReferenceEqualityComparer.Instance);
    readonly Dictionary<TensorStorage, int> uses = new(ReferenceEqualityComparer.Instance);
    readonly long firstSerial = TensorStorage.CurrentSerial;          // buffers made before the pass are never recycled

    public void Put(Tensor owner, Tensor gradient)
    {
        byTensor[owner] = gradient;
        uses[gradient.Storage] = uses.GetValueOrDefault(gradient.Storage) + 1;
    }

    /// <summary>Removes and returns the gradient of <paramref name="owner"/>; call <see cref="Consumed"/> once it has been used.</summary>
    public Tensor? Take(Tensor owner)
    {
        if (!byTensor.Remove(owner, out var g)) return null;
        uses[g.Storage]--;
        return g;
    }

    /// <summary>Adds <paramref name="gradient"/> to whatever <paramref name="owner"/> already has pending.</summary>
    public void Accumulate(Tensor owner, Tensor gradient)
    {
        if (!byTensor.TryGetValue(owner, out var previous)) { Put(owner, gradient); return; }
        var sum = Ops.AddNoGrad(previous, gradient);
        Take(owner);
        Put(owner, sum);
        Consumed(previous);
        Consumed(gradient);
    }

    /// <summary>True when <paramref name="gradient"/> alone uses a buffer made during this pass, so it can be kept as a leaf's Grad.</summary>
    public bool IsExclusive(Tensor gradient) =>
        uses.GetValueOrDefault(gradient.Storage) == 0 && gradient.Storage.Serial > firstSerial
        && gradient.IsContiguous && gradient.Offset == 0 && gradient.Numel == gradient.Data.Length;

    /// <summary>Recycles the buffer of a gradient that has been used, unless a pending gradient still shares it.</summary>
    public void Consumed(Tensor gradient)
    {
        var storage = gradient.Storage;
        if (uses.GetValueOrDefault(storage) > 0 || storage.Serial <= firstSerial) return;
        uses.Remove(storage);
        TensorMemory.Recycle(storage);
    }
}
