using SelfSup.Engine.Optim;
using Xunit;

namespace SelfSup.Engine.Tests;

public class LrScheduleTests
{
    [Fact]
    public void Warmup_cosine_rises_linearly_then_follows_the_half_cosine()
    {
        var s = new WarmupCosine(baseLr: 1f, warmupSteps: 10, totalSteps: 110);
        Assert.Equal(0f, s.At(0));                                    // warmup starts from 0
        Assert.Equal(0.5f, s.At(5), 6);
        Assert.Equal(1f, s.At(10), 6);                                // end of warmup: base
        Assert.Equal(0.8535534f, s.At(35), 6);                        // quarter of the decay: (1 + cos(π/4))/2
        Assert.Equal(0.5f, s.At(60), 6);                              // middle of the decay
        Assert.Equal(0f, s.At(110), 6);                               // end
        Assert.Equal(0f, s.At(500), 6);                               // after the end: final
    }

    [Fact]
    public void Warmup_cosine_honours_final_lr_and_start_factor()
    {
        var s = new WarmupCosine(baseLr: 2f, warmupSteps: 10, totalSteps: 110, finalLr: 0.2f, warmupStartFactor: 0.1f);
        Assert.Equal(0.2f, s.At(0), 6);                               // 2·0.1
        Assert.Equal(1.1f, s.At(5), 6);                               // 2·(0.1 + 0.9·0.5)
        Assert.Equal(2f, s.At(10), 6);
        Assert.Equal(1.1f, s.At(60), 6);                              // 0.2 + 1.8·0.5
        Assert.Equal(0.2f, s.At(110), 6);
    }

    [Fact]
    public void Warmup_cosine_without_warmup_starts_at_base()
    {
        var s = new WarmupCosine(0.5f, warmupSteps: 0, totalSteps: 4);
        float[] expected = [0.5f, 0.4267767f, 0.25f, 0.0732233f, 0f];   // 0.5·(1 + cos(πk/4))/2
        for (int k = 0; k < 5; k++) Assert.Equal(expected[k], s.At(k), 6);
    }

    [Fact]
    public void Step_decay_multiplies_by_gamma_at_each_milestone()
    {
        var s = new StepDecay(0.03f, [120, 160], gamma: 0.1f);
        Assert.Equal(0.03f, s.At(0));
        Assert.Equal(0.03f, s.At(119));
        Assert.Equal(0.003f, s.At(120), 7);
        Assert.Equal(0.0003f, s.At(160), 8);
        Assert.Equal(0.0003f, s.At(199), 8);
    }

    [Fact]
    public void Constant_is_constant() => Assert.Equal(0.05f, new Constant(0.05f).At(12345));

    [Fact]
    public void Cosine_momentum_goes_from_base_to_one()
    {
        var tau = new CosineMomentum(0.996f, 100);
        Assert.Equal(0.996f, tau.At(0), 6);
        Assert.Equal(0.998f, tau.At(50), 6);                          // 1 − 0.004·(cos(π/2) + 1)/2
        Assert.Equal(1f, tau.At(100), 6);
        Assert.Equal(1f, tau.At(150), 6);
    }
}
