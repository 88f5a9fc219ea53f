using System.Globalization;

namespace SelfSup.Methods.Tests.Losses;

/// <summary>
/// The losses against PyTorch golden values (tools/golden/loss_fixtures.py → Fixtures/losses.safetensors), each written
/// there from the paper and its official code: the loss value to rtol 1e-4 and the gradient of every input to
/// atol 1e-5 + rtol 1e-4.
/// </summary>
public class LossGoldenTests
{
    static readonly StateDict Fx = TestUtil.Fixture("losses.safetensors");
    /// <summary>tools/golden/make_method_fixtures.py's case: lemniscate's NCE with a fixed Z and its memory-bank update.</summary>
    static readonly StateDict Lemniscate = TestUtil.Fixture("method_losses.safetensors");

    static float Meta(string key) => float.Parse(Fx.Metadata[key], CultureInfo.InvariantCulture);
    static Tensor Input(string name) => TestUtil.Leaf(Fx.Float(name));

    static void AssertLossAndGradients(string fixtureCase, Tensor loss, params (string Name, Tensor Leaf)[] inputs)
    {
        TestUtil.Close(Fx.Float($"{fixtureCase}.loss").Item(), loss.Item(), atol: 0, rtol: 1e-4f);
        loss.Backward();
        foreach (var (name, leaf) in inputs)
            TestUtil.Close(Fx.Float($"{fixtureCase}.grad_{name}"), leaf.Grad ?? throw new Xunit.Sdk.XunitException($"{name} got no gradient"),
                atol: 1e-5f, rtol: 1e-4f);
    }

    [Theory]
    [InlineData("ntxent_t05")]
    [InlineData("ntxent_t01")]
    public void NtXent_matches_simclr_add_contrastive_loss(string fixtureCase)
    {
        var z1 = Input($"{fixtureCase}.z1"); var z2 = Input($"{fixtureCase}.z2");
        var loss = NtXent.Loss(z1, z2, Meta($"{fixtureCase}.temperature"));
        // The official value adds the two directions' means; ours is their average (NtXent.cs).
        TestUtil.Close(Fx.Float($"{fixtureCase}.loss_official").Item(), 2 * loss.Item(), atol: 0, rtol: 1e-4f);
        AssertLossAndGradients(fixtureCase, loss, ("z1", z1), ("z2", z2));
    }

    [Fact]
    public void InfoNce_with_queue_matches_moco_builder()
    {
        var qRaw = Input("infonce_queue.q_raw"); var kRaw = Input("infonce_queue.k_raw");
        var queue = Input("infonce_queue.queue");
        var loss = InfoNce.WithQueue(Ops.Normalize(qRaw, 1), Ops.Normalize(kRaw, 1), queue, Meta("infonce_queue.temperature"));
        AssertLossAndGradients("infonce_queue", loss, ("q_raw", qRaw), ("k_raw", kRaw));
        Assert.Null(queue.Grad);                                                // the queue is a constant
    }

    [Fact]
    public void Nce_with_explicit_noise_rows_matches_lemniscate_NCEAverage_and_NCECriterion()
    {
        var memory = Fx.Float("nce.memory"); int n = memory.Shape[0];
        var fRaw = Input("nce.f_raw");
        var scores = Nce.Scores(Ops.Normalize(fRaw, 1), memory, Fx.Int("nce.idx"), Meta("nce.temperature"));
        float z = Nce.EstimateZ(scores, n);
        TestUtil.Close(Fx.Float("nce.z").Item(), z, atol: 0, rtol: 1e-4f);
        AssertLossAndGradients("nce", Nce.Loss(scores, z, n), ("f_raw", fRaw));
    }

    [Fact]
    public void Full_softmax_instdisc_matches_LinearAverage_with_cross_entropy()
    {
        var fRaw = Input("nce.f_raw");
        var logits = Ops.MatMul(Ops.Normalize(fRaw, 1), Fx.Float("nce.memory").T);     // (B, n)
        var loss = InfoNce.FromSimilarities(logits, Fx.Int("nce.y"), Meta("nce.temperature"));
        AssertLossAndGradients("nce_softmax", loss, ("f_raw", fRaw));
    }

    [Fact]
    public void Byol_symmetrised_loss_matches_regression_loss_and_stops_target_gradients()
    {
        var p1 = Input("byol.p1"); var p2 = Input("byol.p2");
        var t1 = Input("byol.t1"); var t2 = Input("byol.t2");
        var loss = ByolLoss.Loss(p1, t2) + ByolLoss.Loss(p2, t1);              // Eq. 3: L + L̃
        AssertLossAndGradients("byol", loss, ("p1", p1), ("p2", p2));
        Assert.Null(t1.Grad);
        Assert.Null(t2.Grad);
    }

    [Fact]
    public void BarlowTwins_loss_matches_the_official_cross_correlation_loss()
    {
        var z1 = Input("barlow.z1"); var z2 = Input("barlow.z2");
        var loss = BarlowTwinsLoss.Loss(z1, z2, Meta("barlow.lambda"));
        AssertLossAndGradients("barlow", loss, ("z1", z1), ("z2", z2));
    }

    /// <summary>NCE with a given Z (lemniscate fixes it after the first batch), on make_method_fixtures.py's case; the
    /// estimated Z is checked above.</summary>
    [Fact]
    public void Nce_with_a_fixed_z_matches_lemniscate_NCECriterion()
    {
        var fx = Lemniscate;
        var memory = fx.Float("nce.memory"); int n = memory.Shape[0];
        var x = TestUtil.Leaf(fx.Float("nce.x"));
        var scores = Nce.Scores(x, memory, fx.Int("nce.idx"), float.Parse(fx.Metadata["nce.temperature"], CultureInfo.InvariantCulture));
        var loss = Nce.Loss(scores, fx.Float("nce.z_fixed").Item(), n);
        TestUtil.Close(fx.Float("nce.loss_fixed").Item(), loss.Item());
        loss.Backward();
        TestUtil.Close(fx.Float("nce.grad_x_fixed"), x.Grad!, 1e-5f, 1e-3f);
    }

    [Fact]
    public void Memory_bank_update_matches_lemniscate()
    {
        var fx = Lemniscate;
        float m = float.Parse(fx.Metadata["nce.momentum"], CultureInfo.InvariantCulture);
        var memory = fx.Float("nce.memory");
        var bank = new MemoryBank(memory.Shape[0], memory.Shape[1], new Generator(1));
        bank.Rows.CopyFrom(memory);
        var y = fx.Int("nce.y").Data;
        bank.Update(y, fx.Float("nce.x"), m);
        TestUtil.Close(fx.Float("nce.memory_rows_after"), Ops.IndexSelect(bank.Rows, 0, y));
        var untouched = Enumerable.Range(0, memory.Shape[0]).Except(y).ToArray();
        TestUtil.Close(Ops.IndexSelect(memory, 0, untouched), Ops.IndexSelect(bank.Rows, 0, untouched), 0, 0);
    }
}
