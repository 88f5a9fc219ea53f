using SelfSup.Engine;
using SelfSup.Vision;

namespace SelfSup.Training;

/// <summary>The features the kNN monitor extracted (rows L2-normalised, in index order of each split).</summary>
public sealed record KnnFeatures(IImageDataset Train, Tensor TrainFeatures, int[] TrainLabels, IImageDataset Test, Tensor TestFeatures, int[] TestLabels);

/// <summary>One query image and its nearest training images, most similar first.</summary>
public sealed record NeighbourRow(int Query, int QueryLabel, int[] Neighbours, int[] NeighbourLabels, float[] Similarities);

/// <summary>
/// Nearest neighbours by cosine similarity of backbone features, drawn as a PNG grid: one row per query, the query first
/// with a blue border, then its k nearest training images with a green border when their label matches the query's and a
/// red one when it does not (grey when a label is unknown).
/// </summary>
public static class NeighbourGrid
{
    static readonly byte[] QueryColor = [31, 119, 180], Match = [44, 160, 44], Mismatch = [214, 39, 40], Unknown = [150, 150, 150];
    const int Border = 4, Gap = 4, QueryGap = 16;

    /// <summary>The first test image of each class, in class order, for the lowest <paramref name="count"/> classes present;
    /// the first <paramref name="count"/> images when the split is unlabelled.</summary>
    public static int[] PickQueries(IImageDataset test, int count)
    {
        if (test.Count == 0 || count <= 0) return [];
        if (test.Label(0) < 0) return [.. Enumerable.Range(0, Math.Min(count, test.Count))];
        var firstOf = new SortedDictionary<int, int>();
        int classes = test.ClassNames.Count;
        for (int i = 0; i < test.Count && (classes == 0 || firstOf.Count < classes); i++)
            if (test.Label(i) is int label and >= 0) firstOf.TryAdd(label, i);
        return [.. firstOf.Values.Take(count)];
    }

    /// <summary>The <paramref name="k"/> most cosine-similar training rows for each query row (features L2-normalised).</summary>
    /// <param name="trainFeatures">(Ntrain, D).</param>
    /// <param name="queryFeatures">(Q, D), row q belongs to test image <paramref name="queries"/>[q].</param>
    public static IReadOnlyList<NeighbourRow> Search(Tensor trainFeatures, int[] trainLabels, Tensor queryFeatures, int[] queries, int[] queryLabels, int k)
    {
        int nTrain = trainFeatures.Shape[0], q = queryFeatures.Shape[0];
        if (q != queries.Length || q != queryLabels.Length || nTrain != trainLabels.Length)
            throw new ArgumentException("neighbours: features and labels differ in count");
        if (nTrain == 0) throw new ArgumentException("neighbours: no training features to search");
        if (q == 0) return [];
        k = Math.Min(k, nTrain);
        using var _ = Grad.Disabled();
        var similarity = Ops.MatMul(queryFeatures, Ops.Transpose(trainFeatures, 0, 1));   // (Q, Ntrain)
        var (values, indices) = Ops.TopK(similarity, k, dim: 1);                           // (Q, k), most similar first
        var v = values.ToArray();
        var rows = new List<NeighbourRow>(q);
        for (int i = 0; i < q; i++)
        {
            var idx = indices.Data.AsSpan(i * k, k).ToArray();
            rows.Add(new NeighbourRow(queries[i], queryLabels[i], idx, [.. idx.Select(j => trainLabels[j])], v.AsSpan(i * k, k).ToArray()));
        }
        return rows;
    }

    /// <summary>Searches the training rows for the queries of <paramref name="f"/>'s test split (their features are already there).</summary>
    public static IReadOnlyList<NeighbourRow> Search(KnnFeatures f, int queryCount, int k)
    {
        var queries = PickQueries(f.Test, queryCount);
        var queryFeatures = Ops.IndexSelect(f.TestFeatures, 0, queries);                   // (Q, D)
        return Search(f.TrainFeatures, f.TrainLabels, queryFeatures, queries, [.. queries.Select(i => f.TestLabels[i])], k);
    }

    /// <summary>The grid as an RGB image; every image is fitted into a <paramref name="cell"/>-pixel square.</summary>
    public static RawImage Render(IReadOnlyList<NeighbourRow> rows, IImageDataset test, IImageDataset train, int cell = 64)
    {
        if (rows.Count == 0) throw new ArgumentException("neighbours: no query images to draw");
        int columns = rows.Max(r => r.Neighbours.Length) + 1, box = cell + 2 * Border;
        int width = Gap + box + QueryGap + (columns - 1) * (box + Gap), height = Gap + rows.Count * (box + Gap);
        var pixels = new byte[width * height * 3];
        Array.Fill(pixels, (byte)255);
        for (int r = 0; r < rows.Count; r++)
        {
            var row = rows[r];
            int y = Gap + r * (box + Gap);
            Draw(pixels, width, Gap, y, cell, test.Image(row.Query), QueryColor);
            for (int j = 0; j < row.Neighbours.Length; j++)
            {
                var color = row.QueryLabel < 0 || row.NeighbourLabels[j] < 0 ? Unknown : row.NeighbourLabels[j] == row.QueryLabel ? Match : Mismatch;
                Draw(pixels, width, Gap + box + QueryGap + j * (box + Gap), y, cell, train.Image(row.Neighbours[j]), color);
            }
        }
        return new RawImage(width, height, 3, pixels);
    }

    /// <summary>A coloured frame at (x, y) and the image inside, scaled by area averaging to fit, centred.</summary>
    static void Draw(byte[] canvas, int canvasWidth, int x, int y, int cell, RawImage image, byte[] color)
    {
        int box = cell + 2 * Border;
        for (int v = 0; v < box; v++)
            for (int u = 0; u < box; u++)
                if (u < Border || v < Border || u >= box - Border || v >= box - Border)
                    color.CopyTo(canvas, ((y + v) * canvasWidth + x + u) * 3);
        double scale = Math.Min((double)cell / image.Width, (double)cell / image.Height);
        int w = Math.Max(1, (int)Math.Round(image.Width * scale)), h = Math.Max(1, (int)Math.Round(image.Height * scale));
        int ox = x + Border + (cell - w) / 2, oy = y + Border + (cell - h) / 2;
        for (int v = 0; v < h; v++)
        {
            int sy0 = Math.Min((int)(v / scale), image.Height - 1), sy1 = Math.Clamp((int)((v + 1) / scale), sy0 + 1, image.Height);
            for (int u = 0; u < w; u++)
            {
                int sx0 = Math.Min((int)(u / scale), image.Width - 1), sx1 = Math.Clamp((int)((u + 1) / scale), sx0 + 1, image.Width);
                for (int c = 0; c < 3; c++)
                {
                    int channel = image.Channels == 1 ? 0 : c, sum = 0;
                    for (int sy = sy0; sy < sy1; sy++)
                        for (int sx = sx0; sx < sx1; sx++) sum += image[sy, sx, channel];
                    canvas[((oy + v) * canvasWidth + ox + u) * 3 + c] = (byte)((sum + (sy1 - sy0) * (sx1 - sx0) / 2) / ((sy1 - sy0) * (sx1 - sx0)));
                }
            }
        }
    }
}
