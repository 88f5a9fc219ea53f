using SelfSup.Engine;
using Xunit;

namespace SelfSup.Engine.Tests;

/// <summary>
/// Compares autograd gradients with central differences. The function's output is reduced to a scalar
/// through fixed random weights, so every output element's gradient path is exercised.
/// </summary>
public static class GradCheck
{
    /// <summary>Inputs with values in [−1, 1) (or the given range), requiring grad.</summary>
    public static Tensor[] RandomInputs(int[][] shapes, int seed = 7, float low = -1f, float high = 1f)
    {
        var rng = new Generator((ulong)seed);
        return shapes.Select(s => { var t = Tensor.Uniform(rng, low, high, s); t.RequiresGrad = true; return t; }).ToArray();
    }

    public static void Assert(Func<Tensor[], Tensor> f, Tensor[] inputs, float eps = 1e-2f, float atol = 2e-3f, float rtol = 2e-2f)
    {
        var probe = f(inputs);
        var weights = Tensor.Uniform(new Generator(99), 0.5f, 1.5f, probe.Shape);
        Tensor Loss() => Ops.Sum(Ops.Mul(f(inputs), weights));

        foreach (var x in inputs) x.Grad = null;
        Loss().Backward();
        for (int i = 0; i < inputs.Length; i++)
        {
            var x = inputs[i];
            if (!x.RequiresGrad) continue;
            Xunit.Assert.True(x.Grad is not null, $"input {i} got no gradient");
            var analytic = x.Grad!.ToArray();
            var data = x.Data;
            for (int j = 0; j < x.Numel; j++)
            {
                int at = x.Offset + j;                                   // inputs are contiguous
                float saved = data[at];
                double plus, minus;
                using (Grad.Disabled())
                {
                    data[at] = saved + eps; plus = Loss().Item();
                    data[at] = saved - eps; minus = Loss().Item();
                }
                data[at] = saved;
                double numeric = (plus - minus) / (2 * eps);
                double err = Math.Abs(numeric - analytic[j]);
                Xunit.Assert.True(err <= atol + rtol * Math.Abs(numeric),
                    $"input {i} element {j}: autograd {analytic[j]:G6}, central difference {numeric:G6}");
            }
        }
    }
}

/// <summary>Element-wise comparisons with a readable failure message.</summary>
public static class TensorAssert
{
    public static void Close(float[] expected, float[] actual, float atol = 1e-5f, float rtol = 1e-4f, string what = "")
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            float err = Math.Abs(expected[i] - actual[i]);
            Assert.True(err <= atol + rtol * Math.Abs(expected[i]) || (float.IsNaN(expected[i]) && float.IsNaN(actual[i])),
                $"{what}[{i}]: expected {expected[i]:G7}, got {actual[i]:G7}");
        }
    }

    public static void Close(Tensor expected, Tensor actual, float atol = 1e-5f, float rtol = 1e-4f, string what = "")
    {
        Assert.Equal(expected.Shape, actual.Shape);
        Close(expected.ToArray(), actual.ToArray(), atol, rtol, what);
    }
}
