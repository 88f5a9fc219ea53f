using SelfSup.Engine;
using Xunit;

namespace SelfSup.Engine.Tests;

using static SelfSup.Engine.Ops;

public class CoreOpsTests
{
    [Fact]
    public void Broadcast_add_matches_hand_computed_values()
    {
        var a = Tensor.From([1, 2, 3, 4, 5, 6], 2, 3);
        var b = Tensor.From([10, 20, 30], 3);
        Assert.Equal([11, 22, 33, 14, 25, 36], Add(a, b).ToArray());
        Assert.Equal([10, 20, 30, 10, 20, 30], Sub(Mul(b, 2f), b).Expand(2, 3).ToArray());
    }

    [Fact]
    public void Views_share_storage_and_transpose_reads_columns()
    {
        var a = Tensor.From([1, 2, 3, 4, 5, 6], 2, 3);
        var t = a.T;
        Assert.Same(a.Data, t.Data);
        Assert.Equal([1, 4, 2, 5, 3, 6], t.ToArray());
        Assert.Equal([2, 5], a.Narrow(1, 1, 1).ToArray());
    }

    [Fact]
    public void Reductions_over_mixed_dims_match_hand_sums()
    {
        var a = Tensor.From([.. Enumerable.Range(0, 24).Select(i => (float)i)], 2, 3, 4);
        Assert.Equal([60, 66, 72, 78], Sum(a, [0, 1]).ToArray());          // leading dims: k + (k+4) + ... + (k+20)
        Assert.Equal([6, 22, 38, 54, 70, 86], Sum(a, [2]).ToArray());       // trailing dim: rows of 4
        var overMiddle = Sum(a, [1]).ToArray();                              // a[i,:,k] summed
        Assert.Equal([12, 15, 18, 21, 48, 51, 54, 57], overMiddle);
        Assert.Equal(4f, Var(Tensor.From([1, 2, 3, 4, 5, 6, 7], 7), [0], unbiased: false).Item(), 5);   // mean 4, Σd² = 28, /7
    }

    [Fact]
    public void Max_returns_first_index_of_the_maximum()
    {
        var (v, i) = Max(Tensor.From([1, 5, 5, -1, 0, -2], 2, 3), 1);
        Assert.Equal([5, 0], v.ToArray());
        Assert.Equal([1, 1], i.Data);
    }

    [Fact]
    public void Gradients_accumulate_across_backward_calls()
    {
        var x = Tensor.From([1, 2, 3], 3); x.RequiresGrad = true;
        Sum(Mul(x, x)).Backward();
        Sum(Mul(x, 3f)).Backward();
        Assert.Equal([5, 7, 9], x.Grad!.ToArray());
    }

    [Fact]
    public void The_leaf_hook_sees_each_leaf_once_with_its_whole_gradient()
    {
        var x = Tensor.From([2f], 1); x.RequiresGrad = true;
        var w = Tensor.From([3f], 1); w.RequiresGrad = true;
        var seen = new List<(Tensor Leaf, float Grad)>();
        Sum(Add(Mul(Mul(x, x), w), x)).Backward(leaf => seen.Add((leaf, leaf.Grad!.Item())));   // w·x² + x
        Assert.Equal(2, seen.Count);
        Assert.Equal(13f, Assert.Single(seen, s => ReferenceEquals(s.Leaf, x)).Grad);      // 2wx + 1, both paths summed
        Assert.Equal(4f, Assert.Single(seen, s => ReferenceEquals(s.Leaf, w)).Grad);       // x²
    }

    [Fact]
    public void A_tensor_used_twice_gets_the_sum_of_both_paths()
    {
        var x = Tensor.From([2f], 1); x.RequiresGrad = true;
        var y = Mul(x, x);                                                   // x²: dy/dx = 2x = 4
        Sum(Add(y, x)).Backward();                                           // + x: 1
        Assert.Equal(5f, x.Grad!.Item());
    }

    [Fact]
    public void No_grad_scope_records_nothing_and_detach_cuts_the_graph()
    {
        var x = Tensor.From([1, 2], 2); x.RequiresGrad = true;
        using (Grad.Disabled()) Assert.False(Mul(x, 2f).RequiresGrad);
        Assert.False(Mul(x.Detach(), 2f).RequiresGrad);
        Assert.True(Mul(x, 2f).RequiresGrad);
    }

    [Fact]
    public void Factories_are_deterministic_for_a_seed()
    {
        Assert.Equal(Tensor.Randn(new Generator(3), 5).ToArray(), Tensor.Randn(new Generator(3), 5).ToArray());
        Assert.NotEqual(Tensor.Randn(new Generator(3), 5).ToArray(), Tensor.Randn(new Generator(4), 5).ToArray());
        Assert.Equal([0, 2, 4], Tensor.Arange(0, 5, 2).ToArray());
        var normals = Tensor.Randn(new Generator(1), 20000).ToArray();
        Assert.InRange(normals.Average(), -0.03, 0.03);
        Assert.InRange(normals.Select(v => v * v).Average(), 0.97, 1.03);
    }
}
