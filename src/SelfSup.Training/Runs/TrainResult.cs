namespace SelfSup.Training;

/// <summary>What a finished run reports (the `--json` line of `selfsup train`).</summary>
public sealed record TrainResult(string Method, int Epochs, double Loss, double? KnnTop1, double? KnnTop5, string Checkpoint, double Seconds);
