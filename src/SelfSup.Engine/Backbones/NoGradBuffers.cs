namespace SelfSup.Engine.Backbones;

/// <summary>
/// Without autograd (evaluation, a momentum encoder) nothing but the block that made an intermediate activation sees
/// it, so after its last use its buffer goes back to the pool at once instead of after the next collection, and a
/// pass cycles through a few buffers. Used by the ResNet and ViT blocks.
/// </summary>
internal static class NoGradBuffers
{
    /// <summary>Hands <paramref name="intermediate"/>'s buffer back unless a graph is being recorded (backward still
    /// needs it) or it shares storage with the block's <paramref name="input"/>, which the caller owns.</summary>
    public static void Release(Tensor intermediate, Tensor input)
    {
        if (Grad.IsEnabled || intermediate.Storage == input.Storage) return;
        TensorMemory.Recycle(intermediate.Storage);
    }
}
