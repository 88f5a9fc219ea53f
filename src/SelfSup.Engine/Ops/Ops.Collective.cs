namespace SelfSup.Engine;

public static partial class Ops
{
    /// <summary>
    /// The concatenation over the processes of a group, in rank order, of every process's <paramref name="x"/> (B, ...)
    /// → (W·B, ...), with a gradient: each process's loss may use every process's rows (SimCLR's and MoCo v3's negatives
    /// from all devices), so the gradient reaching this process's rows is the sum over the processes of the gradients
    /// of their rows of the output — backward all-reduces the output's gradient and returns this process's slice
    /// (torch.distributed.nn.all_gather; forgetting the sum is solo-learn#253). With data parallelism averaging the
    /// parameter gradients, this gives the gradient of the mean of the processes' losses, as one process on the global
    /// batch. Without a group of several processes, <paramref name="x"/> itself.
    /// </summary>
    public static Tensor AllGather(Tensor x, IProcessGroup? group)
    {
        if (group is not { Size: > 1 }) return x;
        if (x.Rank < 1) throw new ArgumentException("all_gather needs a tensor with a batch dimension");
        var xc = x.Contiguous();
        int rows = x.Shape[0];
        var shape = (int[])x.Shape.Clone();
        shape[0] = rows * group.Size;
        var y = Empty(shape);                                                   // (W·B, ...)
        group.AllGather(xc.Span, y.Span);
        return Graph.Record(y, [xc], dy =>
        {
            var sum = dy.Contiguous().Clone();                                  // (W·B, ...) this process's part
            group.AllReduceSum(sum.Span);                                       // … summed over every process's loss
            return [sum.Narrow(0, group.Rank * rows, rows).Contiguous()];       // (B, ...) the gradient of our rows
        });
    }

    /// <summary>
    /// The element-wise sum over the processes of every process's <paramref name="x"/> (Barlow Twins' cross-correlation
    /// over the global batch), with a gradient: every process's loss depends on every process's term, so backward
    /// all-reduces the output's gradient too. Data parallelism's averaging then gives the gradient of the mean of the
    /// processes' (equal) losses; forgetting this sum leaves it 1/W too small (lightly#1977). Without a group of
    /// several processes, <paramref name="x"/> itself.
    /// </summary>
    public static Tensor AllReduceSum(Tensor x, IProcessGroup? group)
    {
        if (group is not { Size: > 1 }) return x;
        var y = x.Contiguous().Clone();                                         // same shape as x
        group.AllReduceSum(y.Span);
        return Graph.Record(y, [x], dy =>
        {
            var sum = dy.Contiguous().Clone();                                  // same shape
            group.AllReduceSum(sum.Span);
            return [sum];
        });
    }
}
