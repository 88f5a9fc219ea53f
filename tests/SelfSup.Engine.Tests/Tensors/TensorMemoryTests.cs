using System.Runtime.CompilerServices;
using Xunit;

namespace SelfSup.Engine.Tests;

public class TensorMemoryTests
{
    [MethodImpl(MethodImplOptions.NoInlining)]
    static WeakReference<float[]> AllocateAndDrop(int length) =>
        new(TensorMemory.Allocate(length, zeroed: false).Array, trackResurrection: true);   // the finalizer resurrects it

    [Fact]
    public void Dead_storage_is_reused_only_after_a_quarantine_cycle()
    {
        const int length = 70_001;                                          // a length no other test asks for
        var dropped = AllocateAndDrop(length);
        TensorMemory.CollectNow();                                           // found dead: into quarantine
        Assert.True(dropped.TryGetTarget(out var first));
        var early = TensorMemory.Allocate(length, zeroed: false).Array;
        Assert.NotSame(first, early);                                        // still quarantined
        TensorMemory.CollectNow();                                           // quarantine released
        var reused = TensorMemory.Allocate(length, zeroed: true).Array;
        Assert.Same(first, reused);
        Assert.All(reused, v => Assert.Equal(0f, v));                        // zeroed on request
        GC.KeepAlive(early);
    }

    [Fact]
    public void Backward_recycles_consumed_gradients_but_not_buffers_made_before_it()
    {
        var x = Tensor.Uniform(new Generator(1), -1, 1, 300, 300); x.RequiresGrad = true;
        var y = Ops.Mul(Ops.Exp(x), 2f);                                     // two intermediate gradients of 90 000 floats
        var seed = Tensor.Full(1f, 300, 300);
        var seedArray = seed.Data;
        Graph.Backward(y, seed);
        Assert.All(seedArray, v => Assert.Equal(1f, v));                     // the caller's gradient is untouched
        var expected = Ops.Mul(Ops.Exp(x.Detach()), 2f).ToArray();
        TensorAssert.Close(expected, x.Grad!.ToArray());
        Assert.False(x.Grad!.Storage.Recycled);                             // the adopted leaf gradient is not handed out
    }
}
