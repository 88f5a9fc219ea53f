using SelfSup.Distributed;
using SelfSup.Methods;

namespace SelfSup.Training;

/// <summary>Where the ranks of a data-parallel job meet in the step loop.</summary>
public interface IStepHooks
{
    /// <summary>The step's loss over the whole global batch: the mean of every rank's (each the mean over its own equal
    /// shard), so every rank takes the same decision on a non-finite loss and logs the same figure.</summary>
    float LossOverRanks(float local);

    /// <summary>After backward, before the non-finite check and the optimiser step: this rank's gradients are ready and
    /// become their mean over the ranks.</summary>
    void GradientsReady(SslMethod method);

    /// <summary>Whether this rank logs progress and writes metrics, reports and checkpoints (rank 0 only).</summary>
    bool Writes { get; }
}

/// <summary>
/// Data-parallel training (Li et al. 2020, "PyTorch Distributed"): every rank holds the whole model, takes its shard of
/// each global batch, and averages gradients before the step (<see cref="GradientAverager"/>), so all ranks take the step
/// one process would take on the global batch and stay identical. With one rank every hook is the identity.
/// </summary>
public sealed class DataParallel(ICommunicator comm, SslMethod method) : IStepHooks
{
    readonly GradientAverager averager = new(comm, method.OptimizerParameters().Select(p => p.Param));

    public float LossOverRanks(float local)
    {
        if (comm.Size == 1) return local;
        Span<float> value = [local];
        comm.AllReduceSum(value);
        return value[0] / comm.Size;
    }

    public void GradientsReady(SslMethod method) => averager.Average();

    public bool Writes => comm.Rank == 0;
}
