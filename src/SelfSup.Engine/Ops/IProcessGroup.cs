namespace SelfSup.Engine;

/// <summary>
/// The processes of a data-parallel job, as far as ops and methods need them: sums and gathers over every process, each
/// called by every process in the same order with buffers of the same length. Synchronised batch norm
/// (<see cref="Ops.BatchNorm"/> with a group; SyncBN) uses the sums for the batch statistics and their gradients, so a
/// job of W processes with B samples each normalises as one process would the W·B samples; <see cref="Ops.AllGather"/>
/// and <see cref="Ops.AllReduceSum"/> give methods the global batch's embeddings with the gradients that go with them.
/// The Engine defines the need; the Distributed project's communicators meet it.
/// </summary>
public interface IProcessGroup
{
    /// <summary>Processes in the group.</summary>
    int Size { get; }

    /// <summary>This process's index, 0 ≤ Rank &lt; Size.</summary>
    int Rank { get; }

    /// <summary>Every process's <paramref name="values"/> replaced by their element-wise sum over the processes.</summary>
    void AllReduceSum(Span<double> values);

    /// <summary>Every process's <paramref name="values"/> replaced by their element-wise sum over the processes.</summary>
    void AllReduceSum(Span<float> values);

    /// <summary>The concatenation, in rank order, of every process's <paramref name="mine"/> (all of one length) into
    /// <paramref name="all"/> (Size × that length).</summary>
    void AllGather(ReadOnlySpan<float> mine, Span<float> all);
}
