namespace SelfSup.Engine;

/// <summary>
/// Whether operations are recorded for autograd. <c>using (Grad.Disabled()) { ... }</c> is SelfSup's
/// torch.no_grad(): key/target encoders, EMA updates and evaluation run inside it.
/// </summary>
public static class Grad
{
    [ThreadStatic] static int disabledDepth;

    public static bool IsEnabled => disabledDepth == 0;

    /// <summary>Disables recording until the returned scope is disposed (nests).</summary>
    public static Scope Disabled() { disabledDepth++; return new Scope(); }

    public readonly struct Scope : IDisposable
    {
        public void Dispose() => disabledDepth--;
    }
}
