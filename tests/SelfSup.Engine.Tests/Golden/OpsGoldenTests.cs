using Xunit;

namespace SelfSup.Engine.Tests;

/// <summary>
/// Every case of the <c>ops_*</c> fixtures: the engine's forward equals PyTorch's <c>{case}.out</c>, and the gradient of
/// sum(out · w) with respect to each float input equals <c>{case}.grad{i}</c> (tolerances from tools/golden/README.md:
/// atol 1e-5, rtol 1e-4). Op state (batch norm's running stats) must end as PyTorch left it.
/// </summary>
public class OpsGoldenTests
{
    const float Atol = 1e-5f, Rtol = 1e-4f;

    public static TheoryData<string, string> Cases => OpsGoldenCases.Rows();

    [Theory, MemberData(nameof(Cases))]
    public void Forward_and_backward_match_pytorch(string family, string name)
    {
        var fixture = GoldenFixture.Load(family);
        var c = new OpCase(fixture, name);
        Assert.NotEmpty(c.Inputs);

        var output = OpsGoldenCases.Families[family][name](c);
        GoldenAssert.Close(fixture.Float($"{name}.out"), output, Atol, Rtol, $"{name}.out");
        if (fixture.Has($"{name}.out_idx"))
        {
            Assert.NotNull(c.OutIdx);
            GoldenAssert.Equal(fixture.Int($"{name}.out_idx"), c.OutIdx!, $"{name}.out_idx");
        }

        Ops.Sum(Ops.Mul(output, fixture.Float($"{name}.w"))).Backward();
        for (int i = 0; i < c.Inputs.Length; i++)
        {
            Assert.True(fixture.Has($"{name}.grad{i}"), $"{name}: the fixture has no grad{i}");
            Assert.True(c.In(i).Grad is not null, $"{name}: input {i} got no gradient");
            GoldenAssert.Close(fixture.Float($"{name}.grad{i}"), c.In(i).Grad!, Atol, Rtol, $"{name}.grad{i}");
        }

        foreach (var (stat, value) in c.State)
        {
            // Training batch norm moves its running stats to {stat}_after; eval leaves them exactly as they were.
            var expected = fixture.Has($"{name}.{stat}_after") ? fixture.Float($"{name}.{stat}_after") : fixture.Float($"{name}.{stat}");
            GoldenAssert.Close(expected, value, Atol, Rtol, $"{name}.{stat} after the op");
        }
    }

    [Fact]
    public void Every_fixture_case_has_an_engine_expression()
    {
        foreach (var (family, cases) in OpsGoldenCases.Families)
            Assert.Equal(GoldenFixture.Load(family).Names("cases").Order(), cases.Keys.Order());
    }

    [Fact]
    public void Batch_norm_fixtures_carry_the_running_stats_the_test_compares()
    {
        var norm = GoldenFixture.Load("ops_norm");
        foreach (var name in new[] { "batch_norm_train_2d", "batch_norm_train_1d" })
        {
            Assert.True(norm.Has($"{name}.running_mean_after") && norm.Has($"{name}.running_var_after"));
            // The update must be visible in the data, or comparing after-stats would test nothing.
            Assert.NotEqual(norm.Float($"{name}.running_mean").ToArray(), norm.Float($"{name}.running_mean_after").ToArray());
        }
    }
}
