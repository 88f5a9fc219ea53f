using SelfSup.Engine;
using SelfSup.Vision;
using Xunit;

namespace SelfSup.Training.Tests;

public class NeighbourGridTests
{
    /// <summary>n grey images of size×size, image i filled with the value 10·i (so a drawn cell tells which image it is).</summary>
    static InMemoryDataset Flat(string name, int n, int[]? labels, int size = 4)
    {
        var pixels = new byte[n * size * size];
        for (int i = 0; i < n; i++) pixels.AsSpan(i * size * size, size * size).Fill((byte)(10 * i));
        return new InMemoryDataset(name, n, size, size, 1, pixels, labels, labels is null ? [] : [.. Enumerable.Range(0, labels.Max() + 1).Select(c => $"c{c}")]);
    }

    /// <summary>Unit vectors in the plane at the given angles (degrees): cosine similarity is the cosine of the angle between.</summary>
    static Tensor AtAngles(params double[] degrees) =>
        Tensor.From([.. degrees.SelectMany(d => new[] { (float)Math.Cos(d * Math.PI / 180), (float)Math.Sin(d * Math.PI / 180) })], degrees.Length, 2);

    [Fact]
    public void Queries_are_the_first_image_of_each_class_in_class_order()
    {
        var test = Flat("test", 6, [2, 0, 2, 1, 0, 1]);
        Assert.Equal([1, 3, 0], NeighbourGrid.PickQueries(test, 8));
        Assert.Equal([1, 3], NeighbourGrid.PickQueries(test, 2));                  // the lowest classes, not the first met
        Assert.Equal([0, 1, 2], NeighbourGrid.PickQueries(Flat("u", 5, null), 3));
    }

    [Fact]
    public void Neighbours_are_the_most_cosine_similar_training_rows_most_similar_first()
    {
        var train = AtAngles(0, 90, 10, 180, 45, -20);
        int[] trainLabels = [0, 1, 0, 1, 1, 0];
        var rows = NeighbourGrid.Search(train, trainLabels, AtAngles(3, 100), [7, 9], [0, 1], k: 3);
        Assert.Equal([0, 2, 5], rows[0].Neighbours);                                // 3°, 7°, 23° away
        Assert.Equal([0, 0, 0], rows[0].NeighbourLabels);
        Assert.Equal(7, rows[0].Query);
        Assert.Equal([1, 4, 3], rows[1].Neighbours);                                // 10°, 55°, 80° away
        Assert.Equal(Math.Cos(55 * Math.PI / 180), rows[1].Similarities[1], 5);
    }

    [Fact]
    public void Search_from_monitor_features_uses_the_test_rows_of_the_picked_queries()
    {
        var trainData = Flat("train", 4, [0, 1, 0, 1]);
        var testData = Flat("test", 3, [1, 1, 0]);
        var f = new KnnFeatures(trainData, AtAngles(0, 90, 180, 270), [0, 1, 0, 1], testData, AtAngles(0, 80, 170), [1, 1, 0]);
        var rows = NeighbourGrid.Search(f, queryCount: 8, k: 1);
        Assert.Equal([2, 0], rows.Select(r => r.Query));                            // class 0 → test 2 (170°), class 1 → test 0 (0°)
        Assert.Equal([2], rows[0].Neighbours);
        Assert.Equal([0], rows[1].Neighbours);
    }

    [Fact]
    public void Grid_draws_query_then_neighbours_with_borders_by_label_agreement()
    {
        var train = Flat("train", 3, [0, 1, 0]);
        var test = Flat("test", 2, [0, 1]);
        var rows = new[] { new NeighbourRow(1, 0, [2, 1], [0, 1], [0.9f, 0.8f]) };
        var grid = NeighbourGrid.Render(rows, test, train, cell: 8);
        const int gap = 4, border = 4, box = 8 + 2 * border, queryGap = 16;
        Assert.Equal(3, grid.Channels);
        Assert.Equal(gap + box + queryGap + 2 * (box + gap), grid.Width);
        Assert.Equal(gap + box + gap, grid.Height);
        byte[] Pixel(int x, int y) => [grid[y, x, 0], grid[y, x, 1], grid[y, x, 2]];
        int n1 = gap + box + queryGap, n2 = n1 + box + gap;
        Assert.Equal([31, 119, 180], Pixel(gap, gap));                              // query frame: blue
        Assert.Equal([10, 10, 10], Pixel(gap + border + 3, gap + border + 3));      // test image 1 (value 10), 4 px scaled to 8
        Assert.Equal([44, 160, 44], Pixel(n1 + 1, gap + 1));                        // same label: green
        Assert.Equal([20, 20, 20], Pixel(n1 + border, gap + border));               // training image 2
        Assert.Equal([214, 39, 40], Pixel(n2 + box - 1, gap + box - 1));           // different label: red
        Assert.Equal([10, 10, 10], Pixel(n2 + border + 7, gap + border + 7));       // training image 1
        Assert.Equal([255, 255, 255], Pixel(gap + box + 2, gap + 2));               // background between query and neighbours
    }

    [Fact]
    public void Larger_images_are_shrunk_by_averaging_areas()
    {
        var pixels = new byte[4 * 4];                                               // 2×2 blocks of 0/100 and 200/40 values
        for (int y = 0; y < 4; y++) for (int x = 0; x < 4; x++) pixels[y * 4 + x] = (byte)((y < 2) == (x < 2) ? 100 : (x + y) % 2 == 0 ? 200 : 40);
        var image = new InMemoryDataset("big", 1, 4, 4, 1, pixels, [0], ["a"]);
        var grid = NeighbourGrid.Render([new NeighbourRow(0, 0, [], [], [])], image, image, cell: 2);
        Assert.Equal(100, grid[8, 8, 0]);                                           // top-left block: all 100
        Assert.Equal(120, grid[8, 9, 0]);                                           // top-right block: 200, 40, 40, 200 → 120
    }
}
