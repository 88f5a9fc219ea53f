using SelfSup.Engine;
using SelfSup.Methods;
using Xunit;

namespace SelfSup.Training.Tests;

/// <summary>A diverging run: the bad batch is caught before its optimiser step, no checkpoint holds non-finite state, the
/// error names the last good checkpoint; <c>--skip-nonfinite N</c> skips up to N bad batches without changing anything.</summary>
public class DivergenceTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("selfsup-diverge-").FullName;
    readonly string data;

    public DivergenceTests() => data = TinyData.Write(Path.Combine(root, "data"));     // 128 images: 4 steps of 32 per epoch
    public void Dispose() => Directory.Delete(root, recursive: true);

    TrainOptions Options(float lr, int skip = 0) => new()
    {
        Method = "mocov2", Data = data, Width = 4, Epochs = 3, BatchSize = 32, Out = Path.Combine(root, "run"),
        LoaderThreads = 1, KnnK = 5, KnnEvery = 0, Seed = 3, Lr = lr, CheckpointEverySteps = 1, SkipNonfinite = skip,
    };

    static bool AllFinite(StateDict part) =>
        part.Keys.All(k => part[k].Float is not { } f || f.ToArray().All(float.IsFinite));

    [Fact]
    public void A_diverging_run_stops_before_the_bad_step_and_names_its_last_good_checkpoint()
    {
        var e = Assert.Throws<InvalidOperationException>(() => new Trainer(Recipe.Resolve(Options(lr: 1e6f)), TextWriter.Null).Run());
        Assert.Contains("training diverged at epoch", e.Message);
        var last = Path.Combine(root, "run", "last.safetensors");
        Assert.Contains($"Last good checkpoint: {last} (step ", e.Message);
        var saved = Checkpoint.Load(last);
        int savedStep = int.Parse(saved.Info["step"]);
        Assert.Contains($"(step {savedStep})", e.Message);
        Assert.True(AllFinite(saved.Model) && AllFinite(saved.Optimizer) && AllFinite(saved.Extra), "a saved tensor is not finite");
        // The state after G − 1 steps gave the non-finite loss of step G: it is never the checkpoint kept, though a save
        // was due after every step; the state kept is the one step G − 1 computed a finite loss and gradients from.
        int badStep = int.Parse(System.Text.RegularExpressions.Regex.Match(e.Message, @"global step (\d+)").Groups[1].Value);
        Assert.Equal(badStep - 2, savedStep);
        Assert.Empty(Directory.GetFiles(Path.Combine(root, "run"), "*.tmp-*"));
    }

    [Fact]
    public void Skip_nonfinite_skips_bad_batches_up_to_its_budget_then_stops()
    {
        var log = new StringWriter();
        var e = Assert.Throws<InvalidOperationException>(() => new Trainer(Recipe.Resolve(Options(lr: 1e6f, skip: 2)), log).Run());
        Assert.Contains("training diverged", e.Message);
        var skips = log.ToString().Split('\n').Where(l => l.StartsWith("warning: skipped the batch of", StringComparison.Ordinal)).ToArray();
        Assert.Equal(2, skips.Length);
        Assert.Contains("(2 of --skip-nonfinite 2)", skips[1]);
    }

    [Fact]
    public void A_skipped_batch_leaves_weights_gradients_and_batch_norm_statistics_as_they_were()
    {
        var recipe = Recipe.Resolve(Options(lr: 0.1f, skip: 1) with { Out = null });
        var method = MethodRecipes.Get("mocov2").Create(recipe.MethodOptions, new Generator(1), recipe.Train.Count);
        var optimizer = recipe.BuildOptimizer(method);
        var before = method.StateDict();
        var snapshot = before.Keys.ToDictionary(k => k, k => before[k].Float?.ToArray() ?? before[k].Int!.Data.Select(i => (float)i).ToArray());
        var guard = new NonFiniteGuard(method, optimizer, allowedSkips: 1);
        guard.BeforeForward();
        var views = Enumerable.Range(0, 2).Select(_ => Tensor.Randn(new Generator(2), 8, recipe.Channels, 16, 16)).ToArray();
        var loss = method.Loss(views, [.. Enumerable.Range(0, 8)]);                  // forward: BN running statistics move
        loss.Backward();
        var (name, p) = optimizer.Groups[0].Parameters[0];
        p.Grad!.Span[0] = float.NaN;                                                   // a bad gradient
        Assert.Equal($"gradient of {name} not finite", guard.Problem(loss.Item()));
        guard.Skip();
        Assert.Null(p.Grad);
        var after = method.StateDict();
        foreach (var k in before.Keys)
            Assert.True(snapshot[k].SequenceEqual(after[k].Float?.ToArray() ?? after[k].Int!.Data.Select(i => (float)i).ToArray()), $"{k} changed");
        Assert.False(guard.CanSkip);
    }
}
