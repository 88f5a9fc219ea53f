using System.Runtime.CompilerServices;
using Xunit;

namespace SelfSup.Engine.Tests;

public class TensorMemoryTests
{
    static float[]? stillInUse;

    [MethodImpl(MethodImplOptions.NoInlining)]
    static WeakReference<float[]> AllocateAndDrop(int length, bool keepArray)
    {
        var array = TensorMemory.Allocate(length, zeroed: false).Array;      // the storage dies on return
        if (keepArray) stillInUse = array;                                   // ...but its array is still reachable
        return new(array, trackResurrection: true);                          // the finalizer resurrects it
    }

    [Fact]
    public void Dead_storage_is_reused_after_the_next_collection()
    {
        const int length = 70_001;                                          // a length no other test asks for
        var dropped = AllocateAndDrop(length, keepArray: false);
        TensorMemory.CollectNow();                                           // found dead, array unreachable: pooled
        Assert.True(dropped.TryGetTarget(out var first));
        var reused = TensorMemory.Allocate(length, zeroed: true).Array;
        Assert.Same(first, reused);
        Assert.All(reused, v => Assert.Equal(0f, v));                        // zeroed on request
    }

    [Fact]
    public void An_array_still_reachable_after_its_storage_died_is_not_handed_out()
    {
        const int length = 70_003;
        var dropped = AllocateAndDrop(length, keepArray: true);
        TensorMemory.CollectNow();                                           // storage dead, array still in use
        var other = TensorMemory.Allocate(length, zeroed: false).Array;
        Assert.NotSame(stillInUse, other);
        stillInUse = null;                                                   // the last user lets go
        TensorMemory.CollectNow();
        var reused = TensorMemory.Allocate(length, zeroed: false).Array;
        Assert.True(dropped.TryGetTarget(out var first));
        Assert.Same(first, reused);
        GC.KeepAlive(other);
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
