using SelfSup.Engine;
using SelfSup.Engine.Backbones;
using Xunit;

namespace SelfSup.Engine.Tests;

/// <summary>The release mechanism the blocks' forwards are written with (<see cref="Intermediates"/>).</summary>
public class IntermediatesTests
{
    static Tensor Pooled(float value) => Tensor.Full(value, 1 << 15);          // above the pool's 16 K-float minimum

    [Fact]
    public void Without_autograd_each_intermediate_is_recycled_after_the_step_that_consumes_it_but_never_the_input_or_result()
    {
        var x = Pooled(1f);
        var seen = new List<Tensor>();
        Tensor Step(Tensor t) { var y = t * 2f; seen.Add(y); return y; }    // a fresh buffer each time
        Tensor result;
        using (Grad.Disabled()) result = Intermediates.Chain(x, Step, Step, Step);
        Assert.Equal([true, true, false], seen.Select(t => t.Storage.Recycled));
        Assert.False(x.Storage.Recycled);
        Assert.Same(seen[^1], result);
        Assert.Equal(8f, result.Span[0]);
    }

    [Fact]
    public void With_a_graph_or_a_shared_buffer_nothing_is_recycled()
    {
        var x = Pooled(1f);
        var seen = new List<Tensor>();
        Tensor Step(Tensor t) { var y = t * 2f; seen.Add(y); return y; }
        Intermediates.Chain(x, Step, Step, Step);                               // autograd on: backward needs them
        Assert.DoesNotContain(seen, t => t.Storage.Recycled);

        seen.Clear();
        var inputsRecycled = new List<bool>();
        Tensor Checked(Tensor t) { inputsRecycled.Add(t.Storage.Recycled); return Step(t); }
        Tensor View(Tensor t) => Ops.Reshape(t, 2, t.Numel / 2);                // shares its input's buffer
        using (Grad.Disabled()) Intermediates.Chain(x, Checked, View, Checked);
        Assert.Equal([false, false], inputsRecycled);                           // the view's buffer outlived the view step
        Assert.True(seen[0].Storage.Recycled);                                  // and went back once the view was consumed
    }

    [Fact]
    public void A_residual_releases_its_branch_once_added()
    {
        var x = Pooled(1f);
        Tensor branch = null!;
        Tensor Step(Tensor t) => branch = t * 3f;
        Tensor sum;
        using (Grad.Disabled()) sum = Intermediates.Residual(x, Step);
        Assert.True(branch.Storage.Recycled);
        Assert.False(sum.Storage.Recycled);
        Assert.Equal(4f, sum.Span[0]);
    }
}
