using SelfSup.Engine;
using SelfSup.Engine.Backbones;
using SelfSup.Engine.IO;
using SelfSup.Engine.Optim;
using SelfSup.Methods;
using SelfSup.Training;
using SelfSup.Vision;
using SelfSup.Vision.Transforms;

namespace PretrainMoCo;

/// <summary>MoCo v2 (Chen et al. 2020) on a folder of images, written against SelfSup's library API:
/// <c>dotnet run --project examples/PretrainMoCo -- IMAGE_FOLDER [EPOCHS] [OUT.safetensors]</c>.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var data = DataSpec.Parse($"folder:{args[0]}");       // class sub-folders give labels; train/ and test/ give splits
        int epochs = args.Length > 1 ? int.Parse(args[1]) : 5;
        var first = data.Train.Image(0);
        int size = Math.Max(first.Width, first.Height), batchSize = Math.Min(64, data.Train.Count);

        var options = ((MoCoOptions)MoCoRecipe.V2.Small().Method) with
        {
            Backbone = new ResNet.Options(Depth: 18, Stem: ResNetStem.Cifar, InChannels: first.Channels, Width: 16),
            QueueSize = 16 * batchSize, BnSplits = 4,
        };
        var moco = MoCoRecipe.V2.Create(options, new Generator(0));
        using var loader = new MultiViewLoader(data.Train, MoCoRecipe.V2.Views(size, first.Channels), new LoaderOptions(batchSize));
        var sgd = new Sgd(moco.OptimizerParameters(), lr: 0.03f, momentum: 0.9f, weightDecay: 5e-4f);
        int steps = epochs * loader.BatchesPerEpoch, step = 0;
        var schedule = new WarmupCosine(0.03f, warmupSteps: 0, totalSteps: steps);

        for (int epoch = 0; epoch < epochs; epoch++)
            foreach (var batch in loader.Epoch(epoch))
            {
                sgd.Lr = schedule.At(step);
                var loss = moco.Loss(batch.Views, batch.Indices);                       // InfoNCE: queries vs keys + queue
                sgd.ZeroGrad(); loss.Backward(); sgd.Step();
                moco.AfterStep(step++, steps);                                          // momentum update, enqueue
                Console.WriteLine($"epoch {epoch + 1} step {step}/{steps}: loss {loss.Item():F4}");
            }

        var knn = Evaluation.Knn(moco.Backbone, data.Train, data.Test ?? data.Train, ViewParts.Eval(size, first.Channels),
            k: 20, temperature: 0.1f, trainLimit: 0, threads: 2, Console.Error);
        Console.WriteLine($"kNN top-1 {knn.Top1:P2}");
        if (args.Length > 2) SafeTensors.Save(args[2], moco.Backbone.StateDict());    // torchvision key names
        return 0;
    }
}
