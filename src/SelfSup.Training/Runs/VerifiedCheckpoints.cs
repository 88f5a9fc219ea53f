using SelfSup.Engine.IO;

namespace SelfSup.Training;

/// <summary>
/// Checkpoints written only from state shown to be sound. A state's weights can be finite yet already diverged (4.6e29
/// after a few steps at lr 1e6): what proves them is the next batch's loss and gradients being finite. So the state after
/// step s is staged (written to a temporary file beside its target) and committed (renamed into place) when step s + 1
/// passes <see cref="NonFiniteGuard"/>, before that step is applied; the end of the run commits what is staged. A run that
/// diverges discards the staged state, so last.safetensors never holds weights that gave a non-finite loss, and
/// <see cref="LastGood"/> names the checkpoint it does hold.
/// </summary>
public sealed class VerifiedCheckpoints(string? resumedFrom, int resumedStep) : IDisposable
{
    readonly List<AtomicFile.Staged> staged = [];
    int stagedStep;

    /// <summary>The newest committed checkpoint and its step (at first the one the run resumed from), or null.</summary>
    public (string Path, int Step)? LastGood { get; private set; } = resumedFrom is null ? null : (resumedFrom, resumedStep);

    /// <summary>Writes <paramref name="content"/> (the state after <paramref name="step"/> steps) to each of
    /// <paramref name="paths"/>, staged until <see cref="Commit"/>.</summary>
    public void Stage(int step, CheckpointContent content, params string[] paths)
    {
        foreach (var path in paths) staged.Add(Checkpoint.Stage(path, content));
        stagedStep = step;
    }

    /// <summary>The staged state proved sound (or the run ended): its files replace the old ones, in staging order.</summary>
    public void Commit()
    {
        if (staged.Count == 0) return;
        foreach (var file in staged) file.Commit();
        LastGood = (staged[^1].Target, stagedStep);
        staged.Clear();
    }

    /// <summary>Deletes whatever is staged and not committed (a diverged or failed run).</summary>
    public void Dispose()
    {
        foreach (var file in staged) file.Dispose();
        staged.Clear();
    }
}
