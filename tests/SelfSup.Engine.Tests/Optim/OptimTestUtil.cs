using SelfSup.Engine;

namespace SelfSup.Engine.Tests;

/// <summary>Small helpers for optimiser tests: named parameters and hand-set gradients.</summary>
static class OptimTestUtil
{
    public static Tensor Param(float[] values, params int[] shape)
    {
        var p = Tensor.From(values, shape);
        p.RequiresGrad = true;
        return p;
    }

    public static (string Name, Tensor Param)[] Named(params (string, Tensor)[] parameters) => parameters;

    /// <summary>Sets p.Grad to the given values (a fresh tensor of p's shape).</summary>
    public static void SetGrad(Tensor p, params float[] values) => p.Grad = Tensor.From(values, p.Shape);

    /// <summary>Sets p.Grad = scale·p (the gradient of scale·½‖p‖²).</summary>
    public static void GradOfHalfSquaredNorm(Tensor p, float scale = 1f) =>
        p.Grad = Tensor.From([.. p.ToArray().Select(x => scale * x)], p.Shape);
}
