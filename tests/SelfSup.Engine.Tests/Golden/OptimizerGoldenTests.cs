using System.Text.Json;
using SelfSup.Engine.Optim;
using Xunit;

namespace SelfSup.Engine.Tests;

/// <summary>Builds our optimiser from a fixture's torch.optim description (JSON: type, lr, momentum, betas, ...).</summary>
public static class GoldenOptimizers
{
    /// <summary>Sgd or AdamW over <paramref name="parameters"/> in one group (all decayed), with torch's defaults for absent keys.</summary>
    public static Optimizer Build(JsonElement o, IEnumerable<(string Name, Tensor Param)> parameters)
    {
        float F(string name, float fallback) => o.TryGetProperty(name, out var v) ? v.GetSingle() : fallback;
        bool B(string name) => o.TryGetProperty(name, out var v) && v.GetBoolean();
        switch (o.GetProperty("type").GetString())
        {
            case "SGD":
                return new Sgd(parameters, F("lr", float.NaN), momentum: F("momentum", 0f), weightDecay: F("weight_decay", 0f),
                    nesterov: B("nesterov"), dampening: F("dampening", 0f));
            case "AdamW":
                Assert.False(B("amsgrad"));
                var betas = o.GetProperty("betas");
                return new AdamW(parameters, F("lr", float.NaN), betas[0].GetSingle(), betas[1].GetSingle(), F("eps", 1e-8f), F("weight_decay", 1e-2f));
            default:
                throw new InvalidDataException($"unknown optimiser {o}");
        }
    }
}

/// <summary>
/// optim_steps.safetensors: one (3, 4) parameter fed five fixed gradients; after every step our SGD (plain, momentum with
/// weight decay, Nesterov) and AdamW hold the same value as torch.optim's.
/// </summary>
public class OptimizerGoldenTests
{
    static GoldenFixture Fixture => GoldenFixture.Load("optim_steps");

    static readonly string[] Names = ["sgd_plain", "sgd", "sgd_nesterov", "adamw"];

    public static TheoryData<string> Optimizers => new(Names);

    [Fact]
    public void Every_fixture_optimiser_is_tested() =>
        Assert.Equal(Fixture.Names("optimizers").Order(), Names.Order());

    [Theory, MemberData(nameof(Optimizers))]
    public void Parameter_trajectory_matches_torch_optim(string name)
    {
        var param = Fixture.Input("param0");                                           // (3, 4)
        var optimizer = GoldenOptimizers.Build(Fixture.Json($"{name}.args"), [("param0", param)]);
        var grads = Fixture.Float("grads");                                            // (5, 3, 4)
        var expected = Fixture.Float($"{name}.params");                                // (5, 3, 4)
        for (int t = 0; t < grads.Shape[0]; t++)
        {
            optimizer.ZeroGrad();
            param.Grad = Ops.Select(grads, 0, t).Contiguous();
            optimizer.Step();
            GoldenAssert.Close(Ops.Select(expected, 0, t), param, 1e-6f, 1e-5f, $"{name} after step {t + 1}");
        }
    }

    [Fact]
    public void The_four_trajectories_differ_so_each_comparison_has_teeth()
    {
        var finals = Names.Select(name => Ops.Select(Fixture.Float($"{name}.params"), 0, 4).ToArray()).ToList();
        for (int i = 0; i < finals.Count; i++)
            for (int j = i + 1; j < finals.Count; j++)
                Assert.True(finals[i].Zip(finals[j], (a, b) => Math.Abs(a - b)).Max() > 1e-4f, $"optimisers {i} and {j} end in the same place");
    }
}
