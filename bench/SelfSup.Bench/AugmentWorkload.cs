using SelfSup.Engine;
using SelfSup.Vision;
using SelfSup.Vision.Transforms;

namespace SelfSup.Bench;

/// <summary>
/// augment-mocov2-32: the MoCo v2 augmentation of 512 random 32×32 RGB images, two views each, on one thread
/// (random resized crop 0.2–1, colour jitter 0.4/0.4/0.4/0.1 p 0.8, grayscale p 0.2, blur k 3 σ 0.1–2 p 0.5, flip,
/// CIFAR normalisation), as the peer's torchvision pipeline; best of 3 after 1 warm-up; views/s/core.
/// </summary>
static class AugmentWorkload
{
    public static Workload Create() => new("augment-mocov2-32", "views/s/core",
        "MoCo v2 augmentation of 32×32 RGB images, two views each, one thread", _ =>
        {
            const int count = 512, size = 32;
            var rng = new Generator(0);
            var images = new RawImage[count];
            for (int i = 0; i < count; i++)
            {
                var px = new byte[size * size * 3];
                for (int j = 0; j < px.Length; j++) px[j] = (byte)rng.NextInt(256);
                images[i] = new RawImage(size, size, 3, px);
            }
            var view = new Compose(
                new RandomResizedCrop(size, MinScale: 0.2f),
                new RandomApply(0.8f, new ColorJitter(0.4f, 0.4f, 0.4f, 0.1f)),
                new RandomGrayscale(0.2f),
                new RandomApply(0.5f, new GaussianBlur(3, 0.1f, 2f)),
                new HorizontalFlip(0.5f),
                new Normalize([0.4914f, 0.4822f, 0.4465f], [0.247f, 0.243f, 0.261f]));
            var output = new float[3 * size * size];
            var augRng = new Generator(1);
            double seconds = BenchContext.BestOf(() =>
            {
                foreach (var image in images)
                {
                    view.Apply(image, augRng, output);
                    view.Apply(image, augRng, output);
                }
            }, warmup: 1, iterations: 3);
            return 2.0 * count / seconds;
        });
}
