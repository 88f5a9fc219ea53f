using SelfSup.Engine;
using Xunit;

namespace SelfSup.Engine.Tests;

using static SelfSup.Engine.Ops;

/// <summary>Central-difference checks for the primitives with hand-written backward in the core files.</summary>
public class CoreOpsGradTests
{
    public static TheoryData<string, Func<Tensor[], Tensor>, int[][]> Cases => new()
    {
        { "add broadcast", x => Add(x[0], x[1]), [[2, 3, 4], [3, 1]] },
        { "sub broadcast", x => Sub(x[0], x[1]), [[2, 3], [2, 1]] },
        { "mul broadcast", x => Mul(x[0], x[1]), [[4, 1, 3], [2, 3]] },
        { "div", x => Div(x[0], Add(Mul(x[1], x[1]), 1f)), [[3, 4], [3, 4]] },
        { "scalar ops", x => RSub(2f, Mul(Add(x[0], 3f), 0.5f)), [[5]] },
        { "neg", x => Neg(x[0]), [[3, 2]] },
        { "exp", x => Exp(x[0]), [[3, 4]] },
        { "log", x => Log(Add(Mul(x[0], x[0]), 0.5f)), [[3, 4]] },
        { "sqrt", x => Sqrt(Add(Mul(x[0], x[0]), 0.5f)), [[3, 4]] },
        { "pow", x => Pow(Add(Mul(x[0], x[0]), 0.5f), 1.7f), [[6]] },
        { "abs", x => Abs(x[0]), [[7]] },
        { "clamp", x => Clamp(x[0], -0.4f, 0.3f), [[9]] },
        { "relu", x => Relu(x[0]), [[3, 5]] },
        { "gelu", x => Gelu(Mul(x[0], 3f)), [[12]] },
        { "sigmoid", x => Sigmoid(Mul(x[0], 2f)), [[8]] },
        { "tanh", x => Tanh(Mul(x[0], 2f)), [[8]] },
        { "sum dims", x => Sum(x[0], [0, 2]), [[2, 3, 4]] },
        { "sum middle keepdim", x => Sum(x[0], [1], keepDim: true), [[2, 3, 4]] },
        { "mean all", x => Mean(x[0]), [[3, 4]] },
        { "var unbiased", x => Var(x[0], [1]), [[3, 5]] },
        { "var biased keepdim", x => Var(x[0], [0, 2], unbiased: false, keepDim: true), [[3, 2, 4]] },
        { "max dim", x => Max(x[0], 1).values, [[3, 5]] },
        { "reshape", x => Mul(Reshape(x[0], 4, -1), x[1]), [[2, 6], [4, 3]] },
        { "permute", x => Mul(Permute(x[0], 2, 0, 1), x[1]), [[2, 3, 4], [4, 2, 3]] },
        { "transpose+contiguous", x => Transpose(x[0], 0, 1).Contiguous(), [[3, 4]] },
        { "narrow", x => Narrow(x[0], 1, 1, 2), [[3, 4]] },
        { "expand", x => Mul(Expand(x[0], 3, 4), x[1]), [[1, 4], [3, 4]] },
        { "cat", x => Cat([x[0], x[1]], 1), [[2, 3], [2, 2]] },
        { "stack", x => Stack([x[0], x[1]], 1), [[2, 3], [2, 3]] },
        { "index select", x => IndexSelect(x[0], 0, [2, 0, 2]), [[3, 4]] },
        { "gather", x => Gather(x[0], 1, new IntTensor([0, 2, 2, 1, 0, 0], 2, 3)), [[2, 3]] },
        { "scatter add", x => ScatterAdd(x[0], 1, new IntTensor([0, 2, 2, 1], 2, 2), x[1]), [[2, 3], [2, 2]] },
        { "matmul", x => MatMul(x[0], x[1]), [[3, 4], [4, 5]] },
        { "matmul transposed operands", x => MatMul(Transpose(x[0], 0, 1), Transpose(x[1], 0, 1)), [[4, 3], [5, 4]] },
        { "matmul leading dims", x => MatMul(x[0], x[1]), [[2, 3, 4], [4, 2]] },
        { "bmm", x => MatMul(x[0], x[1]), [[2, 3, 4], [2, 4, 5]] },
        { "bmm transposed", x => MatMul(x[0], Transpose(x[1], 1, 2)), [[2, 3, 4], [2, 5, 4]] },
    };

    [Theory, MemberData(nameof(Cases))]
    public void Backward_matches_central_differences(string op, Func<Tensor[], Tensor> f, int[][] shapes)
    {
        _ = op;
        GradCheck.Assert(f, GradCheck.RandomInputs(shapes));
    }
}

/// <summary>The in-place ReLU ops: gradients by central differences (the in-place target is a fresh op output) and values.</summary>
public class InPlaceOpsTests
{
    public static TheoryData<string, Func<Tensor[], Tensor>, int[][]> Cases => new()
    {
        { "relu_ after mul", x => ReluInPlace(Mul(x[0], 1.5f)), [[4, 5]] },
        { "add_relu_ after mul", x => AddReluInPlace(Mul(x[0], 1f), x[1]), [[3, 6], [3, 6]] },
        { "add_relu_ with shared input", x => AddReluInPlace(Mul(x[0], 2f), x[0]), [[7]] },
    };

    [Theory, MemberData(nameof(Cases))]
    public void Backward_matches_central_differences(string op, Func<Tensor[], Tensor> f, int[][] shapes)
    {
        _ = op;
        GradCheck.Assert(f, GradCheck.RandomInputs(shapes));
    }

    [Fact]
    public void Relu_in_place_overwrites_its_input_and_shares_storage()
    {
        var x = Tensor.From([-1, 2, -3, 4], 4);
        var y = ReluInPlace(x);
        Assert.Same(x.Storage, y.Storage);
        Assert.Equal([0, 2, 0, 4], x.ToArray());
    }

    [Fact]
    public void In_place_on_a_parameter_is_refused()
    {
        var p = Tensor.Ones(3); p.RequiresGrad = true;
        Assert.Throws<InvalidOperationException>(() => ReluInPlace(p));
    }
}
