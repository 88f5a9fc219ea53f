using SelfSup.Training;
using System.Text.Json;

namespace SelfSup.Methods.Tests;

/// <summary>
/// InstDisc against PyTorch (tools/golden/instdisc_fixtures.py → Fixtures/instdisc_steps.safetensors, the official
/// lemniscate.pytorch step written out): the same initial weights, memory bank, batches and noise rows go through
/// <see cref="InstDisc"/> and torch.optim.SGD's update for three steps and a fourth forward pass, and every loss, the
/// one-off Z, the bank and the weights the fourth loss sees must follow PyTorch's (four losses only: the trajectory turns
/// chaotic soon after, in PyTorch itself, see the script). A wrong Z estimate, NCE term, bank write or momentum shows up
/// in the second or third loss (a bank momentum of 0.55 instead of 0.5 moves the second by 15 %).
/// </summary>
public class InstDiscGoldenTests
{
    [Fact]
    public void Three_steps_follow_pytorchs_losses_bank_and_weights()
    {
        var fx = TestUtil.Fixture("instdisc_steps.safetensors");
        var recipe = JsonDocument.Parse(fx.Metadata["recipe"]).RootElement;
        int Int(string key) => recipe.GetProperty(key).GetInt32();
        float Float(string key) => recipe.GetProperty(key).GetSingle();
        int n = Int("n"), k = Int("k"), steps = Int("steps");

        var options = ((InstDiscOptions)new InstDiscRecipe().Small().Method) with
        {
            Backbone = TestUtil.TinyBackbone with { Width = Int("width") },
            Dim = Int("dim"), NceK = k, Temperature = Float("tau"), BankMomentum = Float("bank_momentum"),
        };
        var method = new InstDisc(options, n, new Generator(1));
        method.LoadStateDict(TorchNames(fx, "init."), strict: true);
        method.Bank.Rows.CopyFrom(fx.Float("bank.init"));                       // (n, 128)
        method.Train();
        var opt = new Sgd(method.OptimizerParameters(), Float("lr"), Float("momentum"), Float("weight_decay"));

        var images = fx.Float("data.images");                                    // (n, 1, 16, 16)
        var indices = fx.Int("data.indices");                                    // (S, B)
        var noise = fx.Int("data.noise");                                        // (S, B, K)
        var expected = fx.Float("losses").ToArray();                             // (S,)
        int batch = indices.Shape[1];
        var losses = new float[steps];
        for (int step = 0; step < steps; step++)
        {
            var idx = indices.Data.AsSpan(step * batch, batch).ToArray();
            var draws = noise.Data.AsSpan(step * batch * k, batch * k).ToArray();
            method.NoiseOverride = _ => new IntTensor(draws, batch, k);
            var x = Ops.IndexSelect(images, 0, idx);                            // (B, 1, 16, 16)
            losses[step] = step < steps - 1
                ? TestUtil.Step(method, opt, [x], idx, step, steps)
                : method.Loss([x], idx).Item();                                  // the last loss: forward only
        }
        for (int step = 0; step < steps; step++)
            Assert.True(MathF.Abs(expected[step] - losses[step]) <= 1e-5f + 1e-4f * MathF.Abs(expected[step]),
                $"step {step}: PyTorch's losses {string.Join(", ", expected)}; ours {string.Join(", ", losses)}");

        TestUtil.Close(fx.Float("z").Item(), method.Z, rtol: 1e-5f);
        // The weights and bank the last loss saw, after three updates (ours differ by at most 5e-5 and 4e-6).
        AssertClose("bank", fx.Float("bank.final"), method.Bank.Rows, atol: 1e-5f);
        var final = TorchNames(fx, "final.");
        foreach (var (name, entry) in method.StateDict())
            if (entry.Float is { } value) AssertClose(name, final.Float(name), value, atol: 2e-4f);
    }

    static void AssertClose(string name, Tensor expected, Tensor actual, float atol)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        var e = expected.ToArray(); var a = actual.ToArray();
        float worst = 0; int at = 0;
        for (int i = 0; i < e.Length; i++) if (MathF.Abs(e[i] - a[i]) > worst) { worst = MathF.Abs(e[i] - a[i]); at = i; }
        Assert.True(worst <= atol, $"{name}[{at}]: PyTorch {e[at]}, ours {a[at]} (|diff| {worst} > {atol})");
    }

    /// <summary>The fixture's state dict under <paramref name="prefix"/>, renamed to the method's keys: torch's bare
    /// nn.Linear head "head.weight" is the method's one-layer Mlp "head.0.weight".</summary>
    static StateDict TorchNames(StateDict fx, string prefix)
    {
        var state = new StateDict();
        foreach (var (name, entry) in fx)
        {
            if (!name.StartsWith(prefix, StringComparison.Ordinal)) continue;
            var key = name[prefix.Length..];
            if (key.StartsWith("head.", StringComparison.Ordinal)) key = "head.0." + key["head.".Length..];
            if (entry.Float is { } f) state.Add(key, f); else state.Add(key, entry.Int!);
        }
        return state;
    }
}
