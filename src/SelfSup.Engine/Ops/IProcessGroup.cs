namespace SelfSup.Engine;

/// <summary>
/// The processes of a data-parallel job, as far as an op needs them: sums over every process. Synchronised batch norm
/// (<see cref="Ops.BatchNorm"/> with a group; SyncBN) uses it for the batch statistics and their gradients, so a job of
/// W processes with B samples each normalises as one process would the W·B samples. The Engine defines the need; the
/// Distributed project's communicators meet it.
/// </summary>
public interface IProcessGroup
{
    /// <summary>Processes in the group.</summary>
    int Size { get; }

    /// <summary>Every process's <paramref name="values"/> replaced by their element-wise sum over the processes.</summary>
    void AllReduceSum(Span<double> values);
}
