using SelfSup.Engine.Kernels;

namespace SelfSup.Engine;

public static partial class Ops
{
    /// <summary>
    /// 2-D convolution (cross-correlation, as torch): x (N, Cin, H, W), weight (Cout, Cin/groups, kH, kW),
    /// bias (Cout) or null → (N, Cout, H', W'). The arithmetic is <see cref="Conv2dKernels"/>'; backward asks
    /// for the input gradient and the weight/bias gradients only where they are needed.
    /// </summary>
    public static Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0, int groups = 1)
    {
        var s = ConvShape(x, weight, bias, stride, padding, groups);
        var xc = x.Contiguous(); var wc = weight.Contiguous();
        var y = Empty([s.N, s.Cout, s.OutH, s.OutW]);                                    // (N, Cout, H', W')
        Conv2dKernels.Forward(s, xc.Span, wc.Span, bias is null ? default : bias.Contiguous().Span, y.Span);
        Tensor[] inputs = bias is null ? [xc, wc] : [xc, wc, bias];
        return Graph.Record(y, inputs, dy =>
        {
            var g = dy.Contiguous().Span;
            bool biasGrad = bias is not null && bias.RequiresGrad, paramGrad = wc.RequiresGrad || biasGrad;
            var dx = xc.RequiresGrad ? Empty(xc.Shape) : null;                               // (N, Cin, H, W)
            var dw = paramGrad ? Empty(wc.Shape) : null;                                     // (Cout, Cin/groups, kH, kW)
            var db = biasGrad ? Empty([s.Cout]) : null;                                      // (Cout)
            var dbSpan = db is null ? default : db.Span;
            if (dx is not null && dw is not null) Conv2dKernels.Backward(s, xc.Span, g, wc.Span, dx.Span, dw.Span, dbSpan);
            else if (dx is not null) Conv2dKernels.BackwardInput(s, g, wc.Span, dx.Span);
            else if (dw is not null) Conv2dKernels.BackwardWeight(s, xc.Span, g, dw.Span, dbSpan);
            return bias is null ? [dx, wc.RequiresGrad ? dw : null] : [dx, wc.RequiresGrad ? dw : null, db];
        });
    }

    static Conv2dShape ConvShape(Tensor x, Tensor weight, Tensor? bias, int stride, int padding, int groups)
    {
        string shapes = $"input {ShapeUtil.Format(x.Shape)}, weight {ShapeUtil.Format(weight.Shape)}" + (bias is null ? "" : $", bias {ShapeUtil.Format(bias.Shape)}");
        if (x.Rank != 4 || weight.Rank != 4) throw new ArgumentException($"conv2d needs a 4-D input (N, C, H, W) and a 4-D weight (Cout, Cin/groups, kH, kW); got {shapes}");
        if (stride < 1 || padding < 0 || groups < 1) throw new ArgumentException($"conv2d: stride {stride}, padding {padding}, groups {groups} out of range");
        int cin = x.Shape[1], cout = weight.Shape[0];
        if (cin % groups != 0 || cout % groups != 0 || weight.Shape[1] != cin / groups)
            throw new ArgumentException($"conv2d with groups={groups}: {shapes} (weight dim 1 must be Cin/groups and Cout divisible by groups)");
        if (bias is not null && (bias.Rank != 1 || bias.Shape[0] != cout)) throw new ArgumentException($"conv2d: bias must be ({cout}); {shapes}");
        var s = new Conv2dShape(x.Shape[0], cin, x.Shape[2], x.Shape[3], cout, weight.Shape[2], weight.Shape[3], stride, stride, padding, padding, groups);
        if (s.OutH < 1 || s.OutW < 1) throw new ArgumentException($"conv2d: kernel larger than the padded input; {shapes}, padding {padding}");
        return s;
    }
}
