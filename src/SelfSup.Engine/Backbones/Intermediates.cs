namespace SelfSup.Engine.Backbones;

/// <summary>
/// The memory side of a block's forward, kept out of the forward itself: without autograd (evaluation, feature
/// extraction, momentum encoders), an intermediate's buffer goes back to the pool (<see cref="TensorMemory.Recycle"/>)
/// as soon as the next step has consumed it, so a pass holds a couple of activations at a time instead of every one. With
/// a graph being recorded nothing is released (backward still needs them). A buffer is never released while it is the
/// block's input (the caller's) or shared by the step's result (a view, or an in-place op).
/// </summary>
internal static class Intermediates
{
    /// <summary><paramref name="steps"/> applied in turn to <paramref name="input"/>, each intermediate released after the
    /// step that consumes it; the input and the final result are kept.</summary>
    public static Tensor Chain(Tensor input, params ReadOnlySpan<Func<Tensor, Tensor>> steps)
    {
        var current = input;
        foreach (var step in steps)
        {
            var next = step(current);
            Release(current, input, next);
            current = next;
        }
        return current;
    }

    /// <summary>x + branch(x), the branch being <paramref name="steps"/> (a pre-norm transformer's residual); the branch's
    /// intermediates and output are released once the sum is made.</summary>
    public static Tensor Residual(Tensor x, params ReadOnlySpan<Func<Tensor, Tensor>> steps)
    {
        var branch = Chain(x, steps);
        var sum = x + branch;
        Release(branch, x, sum);
        return sum;
    }

    /// <summary>Hands <paramref name="dead"/>'s buffer back unless a graph is being recorded or it is shared by the
    /// block's <paramref name="input"/> or by <paramref name="result"/>, the tensor made from it.</summary>
    public static void Release(Tensor dead, Tensor input, Tensor result)
    {
        if (Grad.IsEnabled || dead.Storage == input.Storage || dead.Storage == result.Storage) return;
        TensorMemory.Recycle(dead.Storage);
    }
}
