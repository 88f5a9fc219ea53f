using System.Globalization;
using System.Text.Json;
using SelfSup.Engine;
using SelfSup.Engine.IO;
using SelfSup.Vision;
using SelfSup.Vision.Transforms;
using Xunit;

namespace SelfSup.Training.Tests;

public class EmbeddingWriterTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("selfsup-embed-").FullName;
    public void Dispose() => Directory.Delete(dir, recursive: true);

    (TrainedEncoder, IImageDataset) Setup()
    {
        var encoder = TrainedEncoder.Load(ExportFixtures.Checkpoint(dir, ExportFixtures.SmallResNet(), 32));
        return (encoder, ImageFolder.Open(ExportFixtures.ImageFolder(dir, 32)).Train);
    }

    /// <summary>To-tensor and CIFAR-10 normalisation written out by hand: (1, 3, H, W).</summary>
    static Tensor Preprocess(RawImage image)
    {
        var n = Normalize.Cifar10;
        int h = image.Height, w = image.Width;
        var x = new float[3 * h * w];
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < h; y++)
                for (int i = 0; i < w; i++) x[(c * h + y) * w + i] = (image[y, i, c] / 255f - n.Mean[c]) / n.Std[c];
        return Tensor.From(x, 1, 3, h, w);
    }

    [Fact]
    public void Rows_are_the_backbones_features_of_each_image_in_dataset_order()
    {
        var (encoder, data) = Setup();
        var e = EmbeddingWriter.Compute(encoder, data, normalize: false);
        Assert.Equal([5, 64], e.Features.Shape);
        Assert.Equal(["a/img0.png", "a/img1.png", "a/img2.png", "b/img0.png", "b/img1.png"], e.FileNames);
        Assert.Equal([0, 0, 0, 1, 1], e.Labels);
        var rows = e.Features.ToArray();
        using var _ = Grad.Disabled();
        for (int i = 0; i < 5; i++)
        {
            var expected = encoder.Backbone.Forward(Preprocess(data.Image(i))).ToArray();   // (1, 64)
            for (int j = 0; j < 64; j++) Assert.Equal(expected[j], rows[i * 64 + j], 4);
        }
    }

    [Fact]
    public void Normalize_gives_unit_rows_in_the_same_directions()
    {
        var (encoder, data) = Setup();
        var raw = EmbeddingWriter.Compute(encoder, data, normalize: false).Features.ToArray();
        var unit = EmbeddingWriter.Compute(encoder, data, normalize: true).Features.ToArray();
        for (int i = 0; i < 5; i++)
        {
            var row = raw.AsSpan(i * 64, 64).ToArray();
            double norm = Math.Sqrt(row.Sum(v => (double)v * v));
            for (int j = 0; j < 64; j++) Assert.Equal(row[j] / norm, unit[i * 64 + j], 5);
        }
    }

    [Fact]
    public void Safetensors_hold_embeddings_labels_indices_and_file_names()
    {
        var (encoder, data) = Setup();
        var e = EmbeddingWriter.Compute(encoder, data, normalize: false);
        var path = Path.Combine(dir, "emb.safetensors");
        EmbeddingWriter.Save(path, e, new Dictionary<string, string> { ["split"] = "train" });
        var file = SafeTensors.Load(path);
        Assert.Equal(["embeddings", "labels", "indices"], file.Keys);
        Assert.Equal(e.Features.ToArray(), file.Float("embeddings").ToArray());
        Assert.Equal([0, 0, 0, 1, 1], file.Int("labels").Data);
        Assert.Equal([0, 1, 2, 3, 4], file.Int("indices").Data);
        Assert.Equal(e.FileNames, JsonSerializer.Deserialize<string[]>(file.Metadata["filenames"]));
        Assert.Equal("train", file.Metadata["split"]);
        Assert.Equal("5", file.Metadata["count"]);
    }

    [Fact]
    public void Csv_follows_lightlys_layout_with_round_trip_floats()
    {
        var (encoder, data) = Setup();
        var e = EmbeddingWriter.Compute(encoder, data, normalize: false);
        var path = Path.Combine(dir, "emb.csv");
        EmbeddingWriter.Save(path, e, new Dictionary<string, string>());
        var lines = File.ReadAllLines(path);
        Assert.Equal(6, lines.Length);
        var header = lines[0].Split(',');
        Assert.Equal(66, header.Length);
        Assert.Equal(("filenames", "embedding_0", "embedding_63", "labels"), (header[0], header[1], header[64], header[65]));
        var features = e.Features.ToArray();
        for (int i = 0; i < 5; i++)
        {
            var cells = lines[i + 1].Split(',');
            Assert.Equal(e.FileNames[i], cells[0]);
            Assert.Equal(e.Labels[i].ToString(CultureInfo.InvariantCulture), cells[65]);
            for (int j = 0; j < 64; j++) Assert.Equal(features[i * 64 + j], float.Parse(cells[j + 1], CultureInfo.InvariantCulture));
        }
    }

    [Fact]
    public void Unlabelled_in_memory_data_is_named_by_index_with_label_minus_one()
    {
        var encoder = TrainedEncoder.Load(ExportFixtures.Checkpoint(dir, ExportFixtures.SmallResNet(channels: 1), 28));
        var pixels = new byte[3 * 28 * 28];
        new Random(2).NextBytes(pixels);
        var data = new InMemoryDataset("grey", 3, 28, 28, 1, pixels, null, []);
        var e = EmbeddingWriter.Compute(encoder, data, normalize: true);
        Assert.Equal(["0", "1", "2"], e.FileNames);
        Assert.Equal([-1, -1, -1], e.Labels);

        var st = Path.Combine(dir, "grey.safetensors");
        EmbeddingWriter.Save(st, e, new Dictionary<string, string>());
        var file = SafeTensors.Load(st);
        Assert.Equal([-1, -1, -1], file.Int("labels").Data);
        Assert.False(file.Metadata.ContainsKey("filenames"));                    // the indices tensor names them

        var csv = Path.Combine(dir, "grey.csv");
        EmbeddingWriter.Save(csv, e, new Dictionary<string, string>());
        var row = File.ReadAllLines(csv)[3].Split(',');
        Assert.Equal(("2", "-1"), (row[0], row[^1]));
    }

    [Fact]
    public void File_names_with_commas_are_quoted_in_csv()
    {
        var e = new Embeddings(Tensor.From([1f, 2f], 1, 2), [4], ["x,\"y\".png"]);
        var path = Path.Combine(dir, "q.csv");
        EmbeddingWriter.SaveCsv(path, e);
        Assert.Equal("\"x,\"\"y\"\".png\",1,2,4", File.ReadAllLines(path)[1]);
    }

    [Fact]
    public void An_unknown_extension_is_refused()
    {
        var e = new Embeddings(Tensor.From([1f], 1, 1), [0], ["0"]);
        Assert.Contains(".safetensors or .csv",
            Assert.Throws<ArgumentException>(() => EmbeddingWriter.Save(Path.Combine(dir, "x.npy"), e, new Dictionary<string, string>())).Message);
    }
}
