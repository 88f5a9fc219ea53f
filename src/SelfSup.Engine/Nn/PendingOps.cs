using SelfSup.Engine.Kernels;

namespace SelfSup.Engine;

// TEMPORARY (branch `modules` only): stand-ins for the functional nn ops that branch `ops-nn` is writing, with
// the same signatures, so the modules compile and their tests run before that branch lands. Each is deleted as
// soon as `git merge ops-nn` brings the real op (a duplicate definition is a compile error, so none can linger).
// They are composed from primitives (autograd for free) or use the placeholder conv kernels; slow, not tuned.
public static partial class Ops
{
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias)
    {
        var y = MatMul(x, Transpose(weight, 0, 1));                           // (..., out)
        return bias is null ? y : Add(y, bias);
    }

    public static Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0, int groups = 1)
    {
        var xc = x.Contiguous(); var wc = weight.Contiguous();
        var s = new Conv2dShape(x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3], weight.Shape[0], weight.Shape[2], weight.Shape[3],
            stride, stride, padding, padding, groups);
        var y = Empty([s.N, s.Cout, s.OutH, s.OutW]);
        Conv2dKernels.Forward(s, xc.Span, wc.Span, bias is null ? default : bias.Contiguous().Span, y.Span);
        Tensor[] inputs = bias is null ? [xc, wc] : [xc, wc, bias];
        return Graph.Record(y, inputs, dy =>
        {
            var d = dy.Contiguous();
            var dx = xc.RequiresGrad ? Empty(xc.Shape) : null;
            if (dx is not null) Conv2dKernels.BackwardInput(s, d.Span, wc.Span, dx.Span);
            var dw = Empty(wc.Shape);
            var db = bias is null ? null : Empty(bias.Shape);
            Conv2dKernels.BackwardWeight(s, xc.Span, d.Span, dw.Span, db is null ? default : db.Span);
            return bias is null ? [dx, dw] : [dx, dw, db];
        });
    }

    public static Tensor MaxPool2d(Tensor x, int kernel, int stride, int padding = 0)
    {
        var xc = x.Contiguous();
        int n = x.Shape[0], c = x.Shape[1], h = x.Shape[2], w = x.Shape[3];
        int oh = (h + 2 * padding - kernel) / stride + 1, ow = (w + 2 * padding - kernel) / stride + 1;
        var y = Empty([n, c, oh, ow]);
        var argmax = new int[y.Numel];
        var src = xc.Span; var dst = y.Span;
        for (int p = 0; p < n * c; p++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    float best = float.NegativeInfinity; int at = -1;
                    for (int ki = 0; ki < kernel; ki++)
                        for (int kj = 0; kj < kernel; kj++)
                        {
                            int r = i * stride - padding + ki, q = j * stride - padding + kj;
                            if ((uint)r >= (uint)h || (uint)q >= (uint)w) continue;
                            int idx = (p * h + r) * w + q;
                            if (src[idx] > best || at < 0) { best = src[idx]; at = idx; }
                        }
                    int o = (p * oh + i) * ow + j;
                    dst[o] = best; argmax[o] = at;
                }
        return Graph.Record(y, [xc], dy =>
        {
            var d = dy.ToArray(); var dx = Tensor.Zeros(xc.Shape); var g = dx.Span;
            for (int o = 0; o < d.Length; o++) g[argmax[o]] += d[o];
            return [dx];
        });
    }

    public static Tensor AvgPool2d(Tensor x, int kernel, int stride, int padding = 0)
    {
        if (padding != 0 || kernel != stride || x.Shape[2] % kernel != 0 || x.Shape[3] % kernel != 0)
            throw new NotSupportedException("pending AvgPool2d: only non-overlapping, unpadded, exact windows");
        return AdaptiveAvgPool2d(x, x.Shape[2] / kernel, x.Shape[3] / kernel);
    }

    public static Tensor AdaptiveAvgPool2d(Tensor x, int outH, int outW)
    {
        int n = x.Shape[0], c = x.Shape[1], h = x.Shape[2], w = x.Shape[3];
        if (h % outH != 0 || w % outW != 0) throw new NotSupportedException("pending AdaptiveAvgPool2d: only exact windows");
        var windows = Reshape(x, n, c, outH, h / outH, outW, w / outW);
        return Mean(windows, [3, 5]);                                          // (N, C, outH, outW)
    }

    public static Tensor BatchNorm(Tensor x, Tensor? weight, Tensor? bias, Tensor? runningMean, Tensor? runningVar, bool training,
        float momentum = 0.1f, float eps = 1e-5f)
    {
        var dims = Enumerable.Range(0, x.Rank).Where(d => d != 1).ToArray();
        var channelShape = Enumerable.Range(0, x.Rank).Select(d => d == 1 ? x.Shape[1] : 1).ToArray();
        Tensor mean, variance;
        if (training || runningMean is null || runningVar is null)
        {
            mean = Mean(x, dims, keepDim: true);
            variance = Var(x, dims, unbiased: false, keepDim: true);
            if (training && runningMean is not null && runningVar is not null)
                using (Grad.Disabled())
                {
                    int count = x.Numel / x.Shape[1];
                    var m = Reshape(mean, -1).Detach(); var v = Reshape(variance, -1).Detach();
                    runningMean.CopyFrom(Add(Mul(runningMean, 1 - momentum), Mul(m, momentum)));
                    runningVar.CopyFrom(Add(Mul(runningVar, 1 - momentum), Mul(v, momentum * count / Math.Max(1, count - 1))));
                }
        }
        else
        {
            mean = Reshape(runningMean, channelShape);
            variance = Reshape(runningVar, channelShape);
        }
        var y = Div(Sub(x, mean), Sqrt(Add(variance, eps)));
        if (weight is not null) y = Mul(y, Reshape(weight, channelShape));
        if (bias is not null) y = Add(y, Reshape(bias, channelShape));
        return y;
    }

    public static Tensor LayerNorm(Tensor x, int[] normalizedShape, Tensor? weight, Tensor? bias, float eps = 1e-5f)
    {
        var dims = Enumerable.Range(x.Rank - normalizedShape.Length, normalizedShape.Length).ToArray();
        var mean = Mean(x, dims, keepDim: true);
        var variance = Var(x, dims, unbiased: false, keepDim: true);
        var y = Div(Sub(x, mean), Sqrt(Add(variance, eps)));
        if (weight is not null) y = Mul(y, weight);
        if (bias is not null) y = Add(y, bias);
        return y;
    }

    public static Tensor Softmax(Tensor x, int dim)
    {
        var (max, _) = Max(x.Detach(), dim, keepDim: true);
        var e = Exp(Sub(x, max));
        return Div(e, Sum(e, dim, keepDim: true));
    }

    public static Tensor ScaledDotProductAttention(Tensor q, Tensor k, Tensor v)
    {
        int b = q.Shape[0], h = q.Shape[1], l = q.Shape[2], d = q.Shape[3], lk = k.Shape[2];
        var q3 = Reshape(q, b * h, l, d); var k3 = Reshape(k, b * h, lk, d); var v3 = Reshape(v, b * h, lk, v.Shape[3]);
        var scores = Mul(MatMul(q3, Transpose(k3, 1, 2)), 1f / MathF.Sqrt(d));   // (BH, L, Lk)
        var attn = Softmax(scores, -1);
        return Reshape(MatMul(attn, v3), b, h, l, v.Shape[3]);                    // (B, H, L, Dv)
    }
}
