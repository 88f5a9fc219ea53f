using SelfSup.Methods;

namespace SelfSup.Training;

/// <summary>
/// Where a multi-process (data-parallel) run joins the step loop. A single process needs neither: its gradients are the
/// batch's, and it writes everything.
/// </summary>
public interface IStepHooks
{
    /// <summary>After backward, before the non-finite check and the optimiser step: this process's gradients are ready
    /// (a data-parallel run averages them over the processes here).</summary>
    void GradientsReady(SslMethod method);

    /// <summary>Whether this process logs progress and writes metrics, reports and checkpoints (one process of a
    /// data-parallel run does).</summary>
    bool Writes { get; }
}

/// <summary>The hooks of a run in one process.</summary>
public sealed class SingleProcess : IStepHooks
{
    public static SingleProcess Instance { get; } = new();
    public void GradientsReady(SslMethod method) { }
    public bool Writes => true;
}
