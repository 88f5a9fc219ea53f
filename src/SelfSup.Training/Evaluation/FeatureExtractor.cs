using SelfSup.Engine;
using SelfSup.Engine.Nn;
using SelfSup.Vision;

namespace SelfSup.Training;

/// <summary>Backbone features of a whole split (eval mode, no gradient), for kNN, the linear probe and `embed`.</summary>
public static class FeatureExtractor
{
    /// <summary>
    /// Runs <paramref name="backbone"/> over every image of <paramref name="data"/> (index order) through the eval
    /// transform. Returns features (N, D), L2-normalised when <paramref name="normalize"/>, and the labels.
    /// </summary>
    public static (Tensor Features, int[] Labels) Extract(UnaryModule backbone, IImageDataset data, IViewTransform eval,
        int batchSize = 256, int loaderThreads = 2, bool normalize = true, Action<int, int>? progress = null)
    {
        bool wasTraining = backbone.Training;
        backbone.Eval();
        try
        {
            using var loader = MultiViewLoader.ForEval(data, eval, batchSize, loaderThreads);
            var parts = new List<Tensor>();
            var labels = new int[data.Count];
            int done = 0;
            using (Grad.Disabled())
                foreach (var batch in loader.Epoch(0))
                {
                    var f = backbone.Forward(batch[0]);                                  // (B, D)
                    parts.Add(normalize ? Ops.Normalize(f, dim: 1) : f.Contiguous());
                    for (int j = 0; j < batch.Count; j++) labels[batch.Indices[j]] = batch.Labels.Data[j];
                    done += batch.Count;
                    progress?.Invoke(done, data.Count);
                }
            return (Ops.Cat([.. parts], 0), labels);                                     // (N, D), rows in index order
        }
        finally { backbone.Train(wasTraining); }
    }
}
