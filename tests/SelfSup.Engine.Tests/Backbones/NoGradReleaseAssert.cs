using SelfSup.Engine;
using SelfSup.Engine.Nn;
using Xunit;

namespace SelfSup.Engine.Tests;

/// <summary>The check behind the blocks' no-grad buffer release (<c>Intermediates</c>).</summary>
static class NoGradReleaseAssert
{
    /// <summary>Without autograd <paramref name="block"/> hands its intermediate buffers back to the pool as it goes; the
    /// next pass reuses them, so an earlier pass's output must not be among them and every pass must equal the graph's.
    /// The inputs should be above the pool's 16 K-float minimum, or nothing is pooled.</summary>
    public static void PassesAgreeAndKeepOutputs(UnaryModule block, Tensor x1, Tensor x2)
    {
        var x1Before = x1.ToArray();
        var expected1 = block.Forward(x1).ToArray();                            // with a graph: nothing released
        var expected2 = block.Forward(x2).ToArray();
        Tensor first;
        using (Grad.Disabled()) first = block.Forward(x1);
        var firstValues = first.ToArray();
        for (int pass = 0; pass < 3; pass++)
        {
            Tensor second;
            using (Grad.Disabled()) second = block.Forward(x2);
            TensorAssert.Close(expected2, second.ToArray());
        }
        TensorAssert.Close(expected1, firstValues);
        Assert.Equal(firstValues, first.ToArray());                             // the kept output was not reused
        Assert.Equal(x1Before, x1.ToArray());                                   // nor the input
    }
}
