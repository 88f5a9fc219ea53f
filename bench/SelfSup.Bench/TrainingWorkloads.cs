using SelfSup.Engine;
using SelfSup.Engine.Backbones;
using SelfSup.Engine.Nn;
using SelfSup.Engine.Optim;

namespace SelfSup.Bench;

/// <summary>
/// The network workloads of BENCHMARKS.md, shape for shape as shared/peer/torch_reference.py runs them:
/// each timed iteration is one full step (forward, backward, optimiser) or one inference batch;
/// the figure is the best of 3 after 1 warm-up.
/// </summary>
static class TrainingWorkloads
{
    public static Workload ResNet18CifarTrain() => new("resnet18-cifar-train", "img/s",
        "ResNet-18, 3×3 stem, batch 128 of 3×32×32, CE + backward + SGD step", _ =>
        {
            var model = new ResNet(new ResNet.Options(Depth: 18, Stem: ResNetStem.Cifar, NumClasses: 10), new Generator(0));
            var opt = new Sgd(model.NamedTrainableParameters(), lr: 0.01f, momentum: 0.9f, weightDecay: 5e-4f);
            return ClassifierStep(model, opt, batch: 128, channels: 3, size: 32);
        });

    public static Workload ResNet18CifarInfer() => new("resnet18-cifar-infer", "img/s",
        "ResNet-18, 3×3 stem, eval forward, batch 256 of 3×32×32", _ =>
        {
            var model = new ResNet(new ResNet.Options(Depth: 18, Stem: ResNetStem.Cifar, NumClasses: 10), new Generator(0));
            model.Eval();
            var x = Tensor.Randn(new Generator(1), 256, 3, 32, 32);             // (256, 3, 32, 32)
            double seconds = BenchContext.BestOf(() => { using (Grad.Disabled()) model.Forward(x); }, warmup: 1, iterations: 3);
            return 256 / seconds;
        });

    public static Workload SmallFmnistTrain() => new("small-fmnist-train", "img/s",
        "ResNet-18 layout at width 16, 3×3 stem, batch 256 of 1×28×28, CE + backward + SGD step", _ =>
        {
            var model = new ResNet(new ResNet.Options(Depth: 18, Stem: ResNetStem.Cifar, InChannels: 1, Width: 16, NumClasses: 10), new Generator(0));
            var opt = new Sgd(model.NamedTrainableParameters(), lr: 0.06f, momentum: 0.9f, weightDecay: 5e-4f);
            return ClassifierStep(model, opt, batch: 256, channels: 1, size: 28);
        });

    public static Workload VitTinyTrain() => new("vit-tiny-train", "img/s",
        "ViT-Tiny (192, depth 12, 3 heads), patch 4 on 3×32×32, batch 128, CE + backward + AdamW step", _ =>
        {
            var model = new VisionTransformer(VisionTransformer.Options.Tiny(imageSize: 32, patchSize: 4, numClasses: 10), new Generator(0));
            var opt = new AdamW(model.NamedTrainableParameters(), lr: 1e-3f, weightDecay: 0.05f);
            return ClassifierStep(model, opt, batch: 128, channels: 3, size: 32);
        });

    /// <summary>Times zero-grad, cross-entropy forward, backward and an optimiser step on a fixed random batch.</summary>
    static double ClassifierStep(UnaryModule model, Optimizer opt, int batch, int channels, int size)
    {
        var rng = new Generator(1);
        var x = Tensor.Randn(rng, batch, channels, size, size);                // (B, C, H, W)
        var y = new IntTensor([.. Enumerable.Range(0, batch).Select(_ => rng.NextInt(10))], batch);
        double seconds = BenchContext.BestOf(() =>
        {
            opt.ZeroGrad();
            Ops.CrossEntropy(model.Forward(x), y).Backward();                 // logits (B, 10)
            opt.Step();
        }, warmup: 1, iterations: 3);
        return batch / seconds;
    }
}
