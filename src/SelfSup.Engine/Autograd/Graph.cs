namespace SelfSup.Engine;

/// <summary>How one recorded op turns the gradient of its output into gradients of its inputs
/// (null where an input needs none).</summary>
public delegate Tensor?[] BackwardFn(Tensor gradOutput);

/// <summary>One recorded operation: its inputs and the backward closure that captured what it needs.</summary>
internal sealed class GradNode(Tensor[] inputs, BackwardFn backward)
{
    public Tensor[] Inputs { get; } = inputs;
    public BackwardFn Backward { get; } = backward;
}

/// <summary>Reverse-mode autograd over the recorded graph (micrograd's design, on tensors).</summary>
public static class Graph
{
    /// <summary>
    /// Records that <paramref name="output"/> was computed from <paramref name="inputs"/>, when grad mode is on
    /// and any input requires a gradient. Returns <paramref name="output"/>.
    /// </summary>
    public static Tensor Record(Tensor output, Tensor[] inputs, BackwardFn backward)
    {
        if (!Grad.IsEnabled) return output;
        bool any = false;
        foreach (var t in inputs) any |= t.RequiresGrad;
        if (!any) return output;
        output.RequiresGrad = true;
        output.Node = new GradNode(inputs, backward);
        return output;
    }

    /// <summary>
    /// Backpropagates from a one-element <paramref name="root"/>: gradients accumulate into the leaves'
    /// Grad (tensors with RequiresGrad and no node). The graph is released afterwards, as in PyTorch.
    /// <paramref name="leafReady"/>, if given, is called with each leaf as soon as its gradient of this backward is
    /// complete (every op using it is done: the reverse topological order reaches a leaf after all its consumers) — the
    /// moment data parallelism can start exchanging it while the rest of backward runs.
    /// </summary>
    public static void Backward(Tensor root, Tensor? gradRoot = null, Action<Tensor>? leafReady = null)
    {
        if (!root.RequiresGrad) throw new InvalidOperationException("backward() on a tensor that does not require grad");
        if (gradRoot is null && root.Numel != 1) throw new InvalidOperationException("backward() without a gradient needs a one-element tensor");
        var order = TopologicalOrder(root);
        var pending = new PendingGradients();
        pending.Put(root, gradRoot ?? Tensor.Full(1f, root.Shape));
        using var _ = Grad.Disabled();
        for (int i = order.Count - 1; i >= 0; i--)
        {
            var t = order[i];
            if (pending.Take(t) is not Tensor g) continue;
            if (t.Node is null)
            {
                if (t.Grad is null && pending.IsExclusive(g)) t.Grad = g;       // adopt the buffer: nothing else uses it
                else { AccumulateLeaf(t, g); pending.Consumed(g); }
                leafReady?.Invoke(t);
                continue;
            }
            var node = t.Node;
            var inputGrads = node.Backward(g);
            t.Node = null;                                   // free the graph as we go
            for (int k = 0; k < node.Inputs.Length; k++)
            {
                var input = node.Inputs[k];
                var gi = inputGrads[k];
                if (gi is null || !input.RequiresGrad) continue;
                if (!ShapeUtil.Equal(gi.Shape, input.Shape))
                    throw new InvalidOperationException($"backward produced a {ShapeUtil.Format(gi.Shape)} gradient for a {ShapeUtil.Format(input.Shape)} input");
                pending.Accumulate(input, gi);
            }
            pending.Consumed(g);
        }
    }

    static void AccumulateLeaf(Tensor leaf, Tensor g)
    {
        if (leaf.Grad is null) leaf.Grad = g.Clone();          // own the buffer: g may alias other tensors
        else Kernels.Elementwise.AddInPlace(leaf.Grad.Span, g.Contiguous().Span);
    }

    static List<Tensor> TopologicalOrder(Tensor root)
    {
        var order = new List<Tensor>();
        var visited = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(Tensor t, bool expanded)>();
        stack.Push((root, false));
        while (stack.Count > 0)
        {
            var (t, expanded) = stack.Pop();
            if (expanded) { order.Add(t); continue; }
            if (!visited.Add(t)) continue;
            stack.Push((t, true));
            if (t.Node is null) continue;
            foreach (var input in t.Node.Inputs)
                if (input.RequiresGrad && !visited.Contains(input)) stack.Push((input, false));
        }
        return order;
    }
}
