using SelfSup.Engine;
using SelfSup.Engine.IO;
using SelfSup.Engine.Optim;
using Xunit;

namespace SelfSup.Engine.Tests;

using static OptimTestUtil;

/// <summary>Behaviour shared by all optimisers: ZeroGrad, skipped parameters, lr scaling, checkpoints, allocation.</summary>
public class OptimizerStateTests
{
    public static TheoryData<string> Kinds => new() { "sgd", "nesterov", "lars", "adamw" };

    static (Tensor W, Tensor B, Tensor Frozen) Model()
    {
        var rng = new Generator(3);
        var w = Tensor.Uniform(rng, -1, 1, 3, 4); w.RequiresGrad = true;
        var b = Tensor.Uniform(rng, -1, 1, 4); b.RequiresGrad = true;
        var frozen = Tensor.Uniform(rng, -1, 1, 2, 2); frozen.RequiresGrad = true;
        return (w, b, frozen);
    }

    static Optimizer Make(string kind, (Tensor W, Tensor B, Tensor Frozen) m)
    {
        var named = Named(("fc.weight", m.W), ("fc.bias", m.B), ("frozen.weight", m.Frozen));
        return kind switch
        {
            "sgd" => new Sgd(named, lr: 0.1f, momentum: 0.9f, weightDecay: 1e-2f),
            "nesterov" => new Sgd(named, lr: 0.1f, momentum: 0.9f, weightDecay: 1e-2f, nesterov: true, excludeBiasAndNorm: true),
            "lars" => new Lars(named, lr: 0.3f, weightDecay: 1e-2f, trustCoefficient: 0.01f),
            _ => new AdamW(named, lr: 0.01f, weightDecay: 0.05f, excludeBiasAndNorm: true),
        };
    }

    /// <summary>A deterministic gradient that depends on the parameters and the step; "frozen" never gets one.</summary>
    static void Gradients((Tensor W, Tensor B, Tensor Frozen) m, int step)
    {
        foreach (var p in new[] { m.W, m.B })
            p.Grad = Tensor.From([.. p.ToArray().Select((x, i) => MathF.Sin(x * (step + 1) + i) + 0.1f * x)], p.Shape);
    }

    static void Run(Optimizer opt, (Tensor W, Tensor B, Tensor Frozen) m, int from, int to)
    {
        var schedule = new WarmupCosine(opt.Groups[0].Lr, warmupSteps: 2, totalSteps: 5);
        for (int step = from; step < to; step++)
        {
            opt.Lr = schedule.At(step);
            opt.ZeroGrad();
            Gradients(m, step);
            opt.Step();
        }
    }

    [Theory, MemberData(nameof(Kinds))]
    public void State_dict_round_trip_through_safetensors_resumes_identically(string kind)
    {
        var straight = Model();
        var s = Make(kind, straight);
        float baseLr = s.Groups[0].Lr;
        Run(s, straight, 0, 5);

        var first = Model();
        var a = Make(kind, first);
        Run(a, first, 0, 3);
        var bytes = SafeTensors.Serialize(a.StateDict());
        var resumed = (first.W.Clone(), first.B.Clone(), first.Frozen.Clone());
        foreach (var t in new[] { resumed.Item1, resumed.Item2, resumed.Item3 }) t.RequiresGrad = true;
        var b = Make(kind, resumed);
        Run(b, resumed, 0, 0);                                       // nothing yet: a fresh optimiser
        b.LoadStateDict(SafeTensors.Deserialize(bytes, "optimizer.safetensors"));
        Assert.Equal(a.Lr, b.Lr);
        // Continue with the same schedule (its base taken from the fresh optimiser's construction lr).
        var schedule = new WarmupCosine(baseLr, warmupSteps: 2, totalSteps: 5);
        for (int step = 3; step < 5; step++)
        {
            b.Lr = schedule.At(step);
            b.ZeroGrad();
            Gradients(resumed, step);
            b.Step();
        }
        Assert.Equal(straight.W.ToArray(), resumed.Item1.ToArray());
        Assert.Equal(straight.B.ToArray(), resumed.Item2.ToArray());
        Assert.Equal(straight.Frozen.ToArray(), resumed.Item3.ToArray());
    }

    [Theory, MemberData(nameof(Kinds))]
    public void Parameters_without_gradient_are_untouched_and_have_no_state(string kind)
    {
        var m = Model();
        var before = m.Frozen.ToArray();
        var opt = Make(kind, m);
        Run(opt, m, 0, 3);
        Assert.Equal(before, m.Frozen.ToArray());
        var state = opt.StateDict();
        int frozen = IndexOf(opt, m.Frozen), weight = IndexOf(opt, m.W);   // exclusion may reorder into groups
        Assert.DoesNotContain(state.Keys, k => k.StartsWith($"state.{frozen}."));
        Assert.Equal(3, state.Int($"state.{weight}.step").Data[0]);
    }

    /// <summary>The state-dict index of <paramref name="p"/>: its position over all groups.</summary>
    static int IndexOf(Optimizer opt, Tensor p)
    {
        var all = opt.Groups.SelectMany(g => g.Parameters).Select(np => np.Param).ToList();
        return all.FindIndex(x => ReferenceEquals(x, p));
    }

    [Fact]
    public void ZeroGrad_sets_every_gradient_to_null()
    {
        var m = Model();
        var opt = Make("sgd", m);
        Gradients(m, 0);
        m.Frozen.Grad = Tensor.Ones(2, 2);
        opt.ZeroGrad();
        Assert.All(new[] { m.W, m.B, m.Frozen }, p => Assert.Null(p.Grad));
    }

    [Fact]
    public void Setting_lr_scales_each_group_by_its_LrScale()
    {
        var w = Param([1, 2], 1, 2);
        var head = Param([1, 2], 1, 2);
        var sgd = new Sgd([new ParamGroup([("w", w)]) { Lr = 1f }, new ParamGroup([("head", head)]) { Lr = 10f, LrScale = 10f }]);
        Assert.Equal(1f, sgd.Lr);
        sgd.Lr = 0.5f;
        Assert.Equal(0.5f, sgd.Groups[0].Lr);
        Assert.Equal(5f, sgd.Groups[1].Lr);
        SetGrad(w, 1, 1); SetGrad(head, 1, 1);
        sgd.Step();
        Assert.Equal([0.5f, 1.5f], w.ToArray());
        Assert.Equal([-4f, -3f], head.ToArray());
    }

    [Theory, MemberData(nameof(Kinds))]
    public void Steps_after_the_first_allocate_nothing(string kind)
    {
        var rng = new Generator(5);
        var w = Tensor.Uniform(rng, -1, 1, 64, 33); w.RequiresGrad = true;
        var b = Tensor.Uniform(rng, -1, 1, 33); b.RequiresGrad = true;
        w.Grad = Tensor.Uniform(rng, -1, 1, 64, 33);
        b.Grad = Tensor.Uniform(rng, -1, 1, 33);
        var opt = Make(kind, (w, b, Tensor.Zeros(1)));
        for (int i = 0; i < 3; i++) opt.Step();                     // first step allocates the state; then warm up the JIT
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++) opt.Step();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Loading_another_optimisers_state_is_rejected_with_the_reason()
    {
        var m = Model();
        var sgd = Make("sgd", m);
        Run(sgd, m, 0, 1);
        var adam = Make("adamw", Model());
        var e = Assert.Throws<InvalidDataException>(() => adam.LoadStateDict(sgd.StateDict()));
        Assert.Contains("Sgd", e.Message);
    }

    [Fact]
    public void Loading_state_for_differently_shaped_parameters_is_rejected_and_changes_nothing()
    {
        var m = Model();
        var sgd = Make("sgd", m);
        Run(sgd, m, 0, 2);
        var state = sgd.StateDict();
        var other = (Param(new float[12], 4, 3), Param(new float[4], 4), Param(new float[4], 2, 2));
        var target = Make("sgd", other);
        target.Lr = 0.123f;
        var e = Assert.Throws<InvalidDataException>(() => target.LoadStateDict(state));
        Assert.Contains("state.0.momentum_buffer", e.Message);
        Assert.Contains("fc.weight", e.Message);
        Assert.Equal(0.123f, target.Lr);                             // nothing applied
        Assert.DoesNotContain(target.StateDict().Keys, k => k.StartsWith("state."));
    }
}
