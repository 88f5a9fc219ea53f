using SelfSup.Training;
using SelfSup.Vision;
using SelfSup.Vision.Transforms;

namespace SelfSup.Cli;

/// <summary>
/// `selfsup neighbours --checkpoint FILE --data SPEC --out grid.png [--queries 8] [--k 8] [--train-limit N]`: the first test
/// image of each class and its k most cosine-similar training images under the checkpoint's backbone, as a PNG grid
/// (green frame: same label as the query, red: different).
/// </summary>
static class NeighboursCommand
{
    public static int Run(string[] args)
    {
        var a = new ArgReader("neighbours", args,
            new HashSet<string> { "--checkpoint", "--data", "--out", "--queries", "--k", "--train-limit", "--loader-threads" }, new HashSet<string>());
        var checkpoint = a.Required("--checkpoint");
        var output = a.Required("--out");
        if (!output.EndsWith(".png", StringComparison.OrdinalIgnoreCase)) throw new UsageException($"neighbours: --out must name a .png file, not '{output}'");
        int queryCount = a.Int("--queries", 1) ?? 8, k = a.Int("--k", 1) ?? 8, trainLimit = a.Int("--train-limit", 0) ?? 0;
        int threads = a.Int("--loader-threads", 0) ?? 2;
        var outDir = Path.GetDirectoryName(Path.GetFullPath(output))!;
        if (!Directory.Exists(outDir)) throw new DirectoryNotFoundException($"neighbours: folder {outDir} does not exist");

        var trained = TrainedEncoder.Load(checkpoint, Console.Error);
        var backbone = trained.Backbone;
        var data = DataSpec.Parse(a.Required("--data"));
        var test = data.Test ?? throw new ArgumentException($"{a.Required("--data")} has no test split to take query images from");
        var train = trainLimit > 0 && trainLimit < data.Train.Count ? new Subset(data.Train, [.. Enumerable.Range(0, trainLimit)]) : data.Train;
        var eval = ViewParts.Eval(trained.Spec.ImageSize, trained.Spec.InChannels);

        var queries = NeighbourGrid.PickQueries(test, queryCount);
        if (queries.Length == 0) throw new ArgumentException($"{test.Name}: no images to query");
        var (queryFeatures, queryLabels) = Evaluation.Extract(backbone, new Subset(test, queries), eval, threads, "features (queries)");
        var (trainFeatures, trainLabels) = Evaluation.Extract(backbone, train, eval, threads, "features (train)");
        var rows = NeighbourGrid.Search(trainFeatures, trainLabels, queryFeatures, queries, queryLabels, k);
        PngEncoder.Save(output, NeighbourGrid.Render(rows, test, train));

        int total = rows.Sum(r => r.Neighbours.Length), same = rows.Sum(r => r.NeighbourLabels.Count(l => l >= 0 && l == r.QueryLabel));
        Console.WriteLine($"{output}: {rows.Count} queries × {rows[0].Neighbours.Length} neighbours from {train.Count} training images" +
                          (queryLabels[0] >= 0 ? $"; {same} of {total} neighbours share the query's label" : ""));
        return 0;
    }

    /// <summary>The images of <paramref name="inner"/> at <paramref name="indices"/>, renumbered from 0.</summary>
    sealed class Subset(IImageDataset inner, int[] indices) : IImageDataset
    {
        public string Name => $"{inner.Name}[subset of {indices.Length}]";
        public int Count => indices.Length;
        public RawImage Image(int index) => inner.Image(indices[index]);
        public int Label(int index) => inner.Label(indices[index]);
        public IReadOnlyList<string> ClassNames => inner.ClassNames;
        public string Describe(int index) => inner.Describe(indices[index]);
    }
}
