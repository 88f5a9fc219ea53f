using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using SelfSup.Engine;
using SelfSup.Engine.Backbones;
using SelfSup.Engine.Nn;
using SelfSup.Engine.Optim;

namespace SelfSup.Bench;

/// <summary>
/// mocov2-step, exactly as the peer's MoCoV2 module: query and key ResNet-18-CIFAR encoders with 512→512→128
/// MLP heads, queue 4096, m 0.99, T 0.2, batch 128; one iteration = query forward+backward, momentum update,
/// shuffled key forward, enqueue, SGD step. (The product's MoCo lives in SelfSup.Methods; this is the fixed
/// benchmark shape, kept free of options.)
/// </summary>
static class MoCoStepWorkload
{
    sealed class Encoder : UnaryModule
    {
        readonly ResNet backbone;
        readonly Mlp head;

        public Encoder(Generator rng)
        {
            backbone = Child("backbone", new ResNet(new ResNet.Options(Depth: 18, Stem: ResNetStem.Cifar, NumClasses: 0), rng));
            head = Child("head", new Mlp([512, 512, 128], rng, new Mlp.Options(BatchNorm: false)));
        }

        public override Tensor Forward(Tensor x) => head.Forward(backbone.Forward(x));   // (N, 128)
    }

    public static Workload Create() => new("mocov2-step", "img/s",
        "MoCo v2 step: 2× ResNet-18-CIFAR + MLP heads, queue 4096, batch 128", _ =>
        {
            const int batch = 128, dim = 128, queueSize = 4096;
            const float m = 0.99f, temperature = 0.2f;
            var rng = new Generator(0);
            var query = new Encoder(rng);
            var key = new Encoder(rng);
            key.LoadStateDict(query.StateDict());
            foreach (var p in key.Parameters()) p.RequiresGrad = false;
            var queue = Ops.Normalize(Tensor.Randn(rng, dim, queueSize), dim: 0);   // (D, K)
            int ptr = 0;
            var opt = new Sgd(query.NamedTrainableParameters(), lr: 0.06f, momentum: 0.9f, weightDecay: 5e-4f);
            var xq = Tensor.Randn(rng, batch, 3, 32, 32);                          // (N, 3, 32, 32)
            var xk = Tensor.Randn(rng, batch, 3, 32, 32);
            var labels = IntTensor.Zeros(batch);                                    // positives at index 0
            var qParams = query.Parameters().ToArray();
            var kParams = key.Parameters().ToArray();

            double seconds = BenchContext.BestOf(() =>
            {
                opt.ZeroGrad();
                var q = Ops.Normalize(query.Forward(xq), dim: 1);                    // (N, D)
                Tensor k;
                using (Grad.Disabled())
                {
                    for (int i = 0; i < qParams.Length; i++)                         // θk ← m·θk + (1−m)·θq
                    {
                        var pk = kParams[i].Span;
                        TensorPrimitives.Multiply(pk, m, pk);
                        TensorPrimitives.MultiplyAdd(qParams[i].Span, 1 - m, pk, pk);
                    }
                    var perm = rng.Permutation(batch);
                    var inverse = new int[batch];
                    for (int i = 0; i < batch; i++) inverse[perm[i]] = i;
                    var shuffled = Ops.Normalize(key.Forward(Ops.IndexSelect(xk, 0, perm)), dim: 1);   // (N, D)
                    k = Ops.IndexSelect(shuffled, 0, inverse);                       // (N, D), unshuffled
                }
                var positive = Ops.Sum(Ops.Mul(q, k), 1, keepDim: true);            // (N, 1)
                var negative = Ops.MatMul(q, queue);                                 // (N, K)
                var logits = Ops.Mul(Ops.Cat([positive, negative], 1), 1f / temperature);   // (N, 1 + K)
                Ops.CrossEntropy(logits, labels).Backward();
                opt.Step();
                using (Grad.Disabled())                                              // enqueue: queue[:, ptr:ptr+N] = kᵀ
                    Ops.Narrow(queue, 1, ptr, batch).CopyFrom(Ops.Transpose(k, 0, 1));
                ptr = (ptr + batch) % queueSize;
            }, warmup: 1, iterations: 3);
            return batch / seconds;
        });
}
