using SelfSup.Engine;
using SelfSup.Engine.Backbones;
using SelfSup.Engine.Optim;
using SelfSup.Methods;

namespace SelfSup.Bench;

/// <summary>
/// mocov2-step: the product's <see cref="MoCo"/> in the peer's MoCoV2 shape — query and key ResNet-18-CIFAR encoders with
/// 512→512→128 MLP heads, queue 4096, m 0.99, T 0.2, plain BN (one split), batch 128; one iteration = the method's loss
/// (query forward, shuffled key forward), backward, SGD step and its after-step update (momentum update, enqueue).
/// </summary>
static class MoCoStepWorkload
{
    public static Workload Create() => new("mocov2-step", "img/s",
        "MoCo v2 step: 2× ResNet-18-CIFAR + MLP heads, queue 4096, batch 128", _ =>
        {
            const int batch = 128;
            var rng = new Generator(0);
            var options = new MoCoOptions
            {
                Backbone = new ResNet.Options(Depth: 18, Stem: ResNetStem.Cifar, NumClasses: 0),
                Mlp = true, Dim = 128, QueueSize = 4096, Momentum = 0.99f, Temperature = 0.2f, BnSplits = 1,
            };
            var moco = new MoCo(MoCo.V2Name, options, rng);
            moco.Train();
            var opt = new Sgd(moco.OptimizerParameters(), lr: 0.06f, momentum: 0.9f, weightDecay: 5e-4f);
            Tensor[] views = [Tensor.Randn(rng, batch, 3, 32, 32), Tensor.Randn(rng, batch, 3, 32, 32)];   // (N, 3, 32, 32) each
            var indices = Enumerable.Range(0, batch).ToArray();
            int step = 0;

            double seconds = BenchContext.BestOf(() =>
            {
                var loss = moco.Loss(views, indices);                                // scalar
                opt.ZeroGrad();
                loss.Backward();
                opt.Step();
                moco.AfterStep(step++, 1000);
            }, warmup: 1, iterations: 3);
            return batch / seconds;
        });
}
