using Xunit;

namespace SelfSup.Engine.Tests;

using static SelfSup.Engine.Ops;

/// <summary>
/// The engine expression for every case of the <c>ops_*</c> fixtures, keyed by fixture family and case name; each
/// mirrors the PyTorch expression in the case's <c>{case}.op</c> metadata (tools/golden/README.md lists them all).
/// </summary>
public static class OpsGoldenCases
{
    public static readonly Dictionary<string, Dictionary<string, Func<OpCase, Tensor>>> Families = new()
    {
        ["ops_elementwise"] = new()
        {
            ["add"] = c => Add(c.In(0), c.In(1)),
            ["sub"] = c => Sub(c.In(0), c.In(1)),
            ["mul"] = c => Mul(c.In(0), c.In(1)),
            ["div"] = c => Div(c.In(0), c.In(1)),
            ["neg"] = c => Neg(c.In(0)),
            ["exp"] = c => Exp(c.In(0)),
            ["log"] = c => Log(c.In(0)),
            ["sqrt"] = c => Sqrt(c.In(0)),
            ["pow"] = c => Pow(c.In(0), c.Float("exponent")),
            ["abs"] = c => Abs(c.In(0)),
            ["clamp"] = c => Clamp(c.In(0), c.Float("min"), c.Float("max")),
            ["relu"] = c => Relu(c.In(0)),
            ["gelu"] = c => Gelu(c.In(0)),                                       // exact (erf) GELU, as args.approximate = "none"
            ["sigmoid"] = c => Sigmoid(c.In(0)),
            ["tanh"] = c => Tanh(c.In(0)),
        },
        ["ops_reduce"] = new()
        {
            ["sum_dim1"] = c => Sum(c.In(0), c.Ints("dims"), c.Bool("keepdim")),
            ["sum_dims02_keep"] = c => Sum(c.In(0), c.Ints("dims"), c.Bool("keepdim")),
            ["sum_all"] = c => Sum(c.In(0)),
            ["mean_last"] = c => Mean(c.In(0), c.Ints("dims"), c.Bool("keepdim")),
            ["mean_dims01"] = c => Mean(c.In(0), c.Ints("dims"), c.Bool("keepdim")),
            ["mean_all"] = c => Mean(c.In(0)),
            ["var_unbiased_dim1"] = c => Var(c.In(0), c.Ints("dims"), c.Bool("unbiased"), c.Bool("keepdim")),
            ["var_biased_dim1"] = c => Var(c.In(0), c.Ints("dims"), c.Bool("unbiased"), c.Bool("keepdim")),
            ["var_unbiased_dims02_keep"] = c => Var(c.In(0), c.Ints("dims"), c.Bool("unbiased"), c.Bool("keepdim")),
            ["max_dim1"] = c => c.WithIndices(Max(c.In(0), c.Int("dim"), c.Bool("keepdim"))),
            ["max_dim0_keep"] = c => c.WithIndices(Max(c.In(0), c.Int("dim"), c.Bool("keepdim"))),
        },
        ["ops_shape"] = new()
        {
            ["reshape_permute"] = c => Permute(Reshape(c.In(0), c.Ints("shape")), c.Ints("perm")),
            ["transpose"] = c => Transpose(c.In(0), c.Int("dim0"), c.Int("dim1")),
            ["narrow"] = c => Narrow(c.In(0), c.Int("dim"), c.Int("start"), c.Int("length")),
            ["select"] = c => Select(c.In(0), c.Int("dim"), c.Int("index")),
            ["expand"] = c => Expand(c.In(0), c.Ints("shape")),
            ["cat"] = c => Cat(c.Inputs, c.Int("dim")),
            ["stack"] = c => Stack(c.Inputs, c.Int("dim")),
            ["index_select"] = c => IndexSelect(c.In(0), c.Int("dim"), c.Idx.Data),
            ["gather"] = c => Gather(c.In(0), c.Int("dim"), c.Idx),
            ["scatter_add"] = c => ScatterAdd(c.In(0), c.Int("dim"), c.Idx, c.In(1)),
        },
        ["ops_matmul"] = new()
        {
            ["matmul_2d"] = c => MatMul(c.In(0), c.In(1)),
            ["matmul_trans_b"] = c => MatMul(c.In(0), Transpose(c.In(1), 0, 1)),
            ["matmul_trans_a"] = c => MatMul(Transpose(c.In(0), 0, 1), c.In(1)),
            ["matmul_batched"] = c => MatMul(c.In(0), c.In(1)),
            ["matmul_broadcast"] = c => MatMul(c.In(0), c.In(1)),
            ["linear"] = c => Linear(c.In(0), c.In(1), c.In(2)),
        },
        ["ops_conv_pool"] = new()
        {
            ["conv2d_s1p1"] = Conv,
            ["conv2d_s2p1"] = Conv,
            ["conv2d_1x1_s2"] = Conv,
            ["conv2d_groups2"] = Conv,
            ["conv2d_bias"] = Conv,
            ["conv2d_7x7_s2p3"] = Conv,
            ["conv2d_rect_s1p0"] = Conv,
            ["max_pool2d_k3s2p1"] = c => MaxPool2d(c.In(0), c.Int("kernel"), c.Int("stride"), c.Int("padding")),
            ["max_pool2d_k2s2p0"] = c => MaxPool2d(c.In(0), c.Int("kernel"), c.Int("stride"), c.Int("padding")),
            ["avg_pool2d_k2s2p0"] = c => AvgPool2d(c.In(0), c.Int("kernel"), c.Int("stride"), c.Int("padding")),
            ["avg_pool2d_k3s2p1"] = c => AvgPool2d(c.In(0), c.Int("kernel"), c.Int("stride"), c.Int("padding")),
            ["adaptive_avg_pool2d_1"] = AdaptiveAvg,
            ["adaptive_avg_pool2d_5to3"] = AdaptiveAvg,
        },
        ["ops_norm"] = new()
        {
            ["batch_norm_train_2d"] = BatchNormTrain,
            ["batch_norm_train_1d"] = BatchNormTrain,
            ["batch_norm_eval_2d"] = c => BatchNorm(c.In(0), c.In(1), c.In(2), c.Stat("running_mean"), c.Stat("running_var"),
                training: c.Bool("training"), eps: c.Float("eps")),
            ["layer_norm"] = c => LayerNorm(c.In(0), c.Ints("normalized_shape"), c.In(1), c.In(2), c.Float("eps")),
            ["layer_norm_eps1e-6"] = c => LayerNorm(c.In(0), c.Ints("normalized_shape"), c.In(1), c.In(2), c.Float("eps")),
            ["l2_normalize"] = c => Normalize(c.In(0), c.Int("dim"), c.Float("eps")),
        },
        ["ops_softmax_ce"] = new()
        {
            ["softmax"] = c => Softmax(c.In(0), c.Int("dim")),
            ["log_softmax"] = c => LogSoftmax(c.In(0), c.Int("dim")),
            ["cross_entropy"] = c => CrossEntropy(c.In(0), c.Idx, c.Float("label_smoothing")),
            ["cross_entropy_ls0.1"] = c => CrossEntropy(c.In(0), c.Idx, c.Float("label_smoothing")),
        },
        ["ops_attention"] = new()
        {
            ["sdpa"] = c =>
            {
                Assert.Equal(1 / MathF.Sqrt(c.In(0).Shape[^1]), c.Float("scale"), 6);   // our op's fixed scale is 1/√D
                return ScaledDotProductAttention(c.In(0), c.In(1), c.In(2));
            },
        },
    };

    static Tensor Conv(OpCase c) =>
        Conv2d(c.In(0), c.In(1), c.Bool("bias") ? c.In(2) : null, c.Int("stride"), c.Int("padding"), c.Int("groups"));

    static Tensor AdaptiveAvg(OpCase c)
    {
        var size = c.Ints("output_size");
        return AdaptiveAvgPool2d(c.In(0), size[0], size[1]);
    }

    static Tensor BatchNormTrain(OpCase c) =>
        BatchNorm(c.In(0), c.In(1), c.In(2), c.Stat("running_mean"), c.Stat("running_var"),
            training: c.Bool("training"), momentum: c.Float("momentum"), eps: c.Float("eps"));

    /// <summary>(family, case) for every case in the table: the theory rows.</summary>
    public static TheoryData<string, string> Rows()
    {
        var rows = new TheoryData<string, string>();
        foreach (var (family, cases) in Families)
            foreach (var name in cases.Keys) rows.Add(family, name);
        return rows;
    }
}
