using System.Globalization;
using SelfSup.Engine;
using SelfSup.Engine.Backbones;
using SelfSup.Engine.Nn;
using SelfSup.Engine.Optim;
using SelfSup.Vision;
using SelfSup.Vision.Transforms;

namespace SelfSup.Training;

/// <summary>Fine-tuning settings: SGD with momentum (Nesterov off), cosine lr, no weight decay — SimCLR's semi-supervised
/// protocol (Chen et al. 2020, appendix B.5), on random-resized crops (scale 0.5–1) and flips.</summary>
public sealed record FineTuneOptions(int Epochs, int BatchSize = 128, float Lr = 0.05f, float Momentum = 0.9f, float WeightDecay = 0f,
    ulong Seed = 0, int LoaderThreads = 2);

public sealed record FineTuneResult(double Top1, double Top5, float TrainLoss, int LabelledImages, int Epochs);

/// <summary>A class-balanced, seeded subset of a labelled split: the same fraction of every class (at least one image),
/// each class's images drawn by one seeded permutation, so the same seed and fraction give the same images.</summary>
public static class LabelSubset
{
    public static ImageSubset Balanced(IImageDataset data, double fraction, ulong seed)
    {
        if (!(fraction > 0 && fraction <= 1)) throw new ArgumentException($"--label-fraction must be in (0, 1], not {fraction.ToString(CultureInfo.InvariantCulture)}");
        var byClass = new SortedDictionary<int, List<int>>();
        for (int i = 0; i < data.Count; i++)
        {
            int label = data.Label(i);
            if (label < 0) throw new ArgumentException($"{data.Name} has no labels (image {i}); fine-tuning needs a labelled training split");
            if (!byClass.TryGetValue(label, out var list)) byClass[label] = list = [];
            list.Add(i);
        }
        var rng = new Generator(seed);
        var chosen = new List<int>();
        foreach (var (_, members) in byClass)
        {
            int take = Math.Max(1, (int)Math.Round(fraction * members.Count, MidpointRounding.AwayFromZero));
            var order = rng.Permutation(members.Count);
            for (int k = 0; k < take; k++) chosen.Add(members[order[k]]);
        }
        chosen.Sort();
        return new ImageSubset(data, [.. chosen], $"{fraction.ToString("G4", CultureInfo.InvariantCulture)} of the labels, seed {seed}");
    }
}

/// <summary>
/// The semi-supervised protocol (SimCLR §6 / Barlow Twins §4.1): the whole encoder plus a linear head trained on a few
/// labels — unlike the linear probe, the encoder's weights and batch-norm statistics change — reported on the test split.
/// Started from random weights on the same labels it is the from-scratch baseline that says what pretraining bought.
/// </summary>
public static class FineTune
{
    sealed class Classifier : UnaryModule
    {
        readonly Backbone backbone;
        readonly Linear fc;

        public Classifier(Backbone backbone, int classes, Generator rng)
        {
            this.backbone = Child("backbone", backbone);
            fc = Child("fc", new Linear(backbone.FeatureDim, classes, rng));
        }

        public override Tensor Forward(Tensor x) => fc.Forward(backbone.Forward(x));    // (N, classes)
    }

    /// <summary>The training view: a random-resized crop of half the area or more, a flip, the eval normalisation.</summary>
    public static IViewTransform TrainView(int size, int channels) =>
        ViewParts.View(channels, new RandomResizedCrop(size, MinScale: 0.5f), new HorizontalFlip(), Normalize.For(size, channels));

    /// <param name="backbone">Trained in place (its weights are the fine-tuned encoder afterwards).</param>
    /// <param name="progress">Called after each epoch with (epoch, mean training loss).</param>
    public static FineTuneResult Train(Backbone backbone, IImageDataset labelled, IImageDataset test, IViewTransform trainView,
        IViewTransform evalView, int classes, FineTuneOptions o, Action<int, float>? progress = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(o.Epochs, 1);
        var model = new Classifier(backbone, classes, new Generator(o.Seed + 1));
        model.Train();
        var opt = new Sgd(model.NamedTrainableParameters(), o.Lr, o.Momentum, o.WeightDecay);
        int batch = Math.Min(o.BatchSize, labelled.Count);
        using var loader = new MultiViewLoader(labelled, new MultiView([trainView]), new LoaderOptions(batch, o.Seed, o.LoaderThreads));
        var schedule = new WarmupCosine(o.Lr, 0, loader.BatchesPerEpoch * o.Epochs);
        float epochLoss = float.NaN;
        for (int epoch = 0, step = 0; epoch < o.Epochs; epoch++)
        {
            double sum = 0;
            int steps = 0;
            foreach (var b in loader.Epoch(epoch))
            {
                opt.Lr = schedule.At(step++);
                opt.ZeroGrad();
                var loss = Ops.CrossEntropy(model.Forward(b[0]), b.Labels);             // logits (B, classes)
                float value = loss.Item();
                if (!float.IsFinite(value)) throw new InvalidOperationException($"fine-tuning diverged at epoch {epoch + 1}: loss {value} (try a smaller --lr)");
                loss.Backward();
                opt.Step();
                sum += value; steps++;
            }
            epochLoss = (float)(sum / steps);
            progress?.Invoke(epoch, epochLoss);
        }
        model.Eval();
        var logits = new List<Tensor>();
        var labels = new int[test.Count];
        using (Grad.Disabled())
        using (var eval = MultiViewLoader.ForEval(test, evalView, 256, o.LoaderThreads))
            foreach (var b in eval.Epoch(0))
            {
                logits.Add(model.Forward(b[0]));                                          // (B, classes)
                for (int j = 0; j < b.Count; j++) labels[b.Indices[j]] = b.Labels.Data[j];
            }
        var (top1, top5) = TopAccuracy.Of(Ops.Cat([.. logits], 0), labels);
        return new FineTuneResult(top1, top5, epochLoss, labelled.Count, o.Epochs);
    }
}
