using System.Text.Json;
using Xunit;

namespace SelfSup.Vision.Tests.Datasets;

public class DataSpecDatasetTests
{
    [Theory]
    [InlineData("imagenet")]
    [InlineData("zip:/tmp")]
    [InlineData("folder:")]
    public void Unknown_or_empty_spec_is_ArgumentException_listing_the_forms(string spec)
    {
        var e = Assert.Throws<ArgumentException>(() => DataSpec.Parse(spec));
        Assert.Contains("fashion-mnist, fashion-mnist-val, mnist-idx:DIR, cifar10:DIR or folder:DIR", e.Message);
    }

    [Theory]
    [InlineData("folder")]
    [InlineData("cifar10")]
    [InlineData("mnist-idx")]
    public void Missing_folder_is_DirectoryNotFound_naming_it(string scheme)
    {
        var e = Assert.Throws<DirectoryNotFoundException>(() => DataSpec.Parse($"{scheme}:/no/such/dir"));
        Assert.Equal($"{scheme}: folder not found: /no/such/dir", e.Message);
    }

    static TempDir InspectFixture()
    {
        var dir = new TempDir();
        dir.Png("train/cat/1.png", 1, w: 8, h: 6);
        dir.Png("train/cat/2.png", 2, w: 8, h: 6);
        dir.Png("train/dog/3.png", 3, w: 5, h: 5, channels: 1);
        dir.File("train/dog/bad.jpg", [1, 2, 3]);
        dir.Png("test/dog/4.png", 4, w: 8, h: 6);
        return dir;
    }

    [Fact]
    public void Summary_counts_classes_sizes_and_bad_files()
    {
        using var dir = InspectFixture();
        var splits = DataSpec.Parse("folder:" + dir.Path);
        var train = DatasetSummary.Of(splits.Train);
        Assert.Equal(3, train.Images);
        Assert.Equal([new ClassCount("cat", 2), new ClassCount("dog", 1)], train.Classes);
        Assert.Equal([new SizeCount(8, 6, 3, 2), new SizeCount(5, 5, 1, 1)], train.Sizes);
        Assert.EndsWith("bad.jpg", Assert.Single(train.BadFiles).Path);
        var test = DatasetSummary.Of(splits.Test!);
        Assert.Equal([new ClassCount("cat", 0), new ClassCount("dog", 1)], test.Classes);
    }

    [Fact]
    public void Inspect_text_and_json_report_the_same_facts()
    {
        using var dir = InspectFixture();
        var spec = "folder:" + dir.Path;
        var splits = DataSpec.Parse(spec);
        var summaries = new[] { DatasetSummary.Of(splits.Train), DatasetSummary.Of(splits.Test!) };

        var text = DatasetSummary.Text(spec, summaries);
        Assert.Contains("/train: 3 images, 2 classes", text);
        Assert.Contains("sizes: 8×6×3 (2), 5×5×1 (1)", text);
        Assert.Contains("bad.jpg: not a JPEG or PNG image", text);

        using var json = JsonDocument.Parse(DatasetSummary.Json(spec, summaries));
        var train = json.RootElement.GetProperty("splits")[0];
        Assert.Equal(spec, json.RootElement.GetProperty("spec").GetString());
        Assert.Equal(3, train.GetProperty("images").GetInt32());
        Assert.Equal("dog", train.GetProperty("classes")[1].GetProperty("name").GetString());
        Assert.Equal(2, train.GetProperty("sizes")[0].GetProperty("count").GetInt32());
        Assert.EndsWith("bad.jpg", train.GetProperty("bad_files")[0].GetProperty("path").GetString());
        Assert.Equal(1, json.RootElement.GetProperty("splits")[1].GetProperty("images").GetInt32());
    }

    [Fact]
    public void Cache_serves_the_same_image_and_stays_within_its_budget()
    {
        using var dir = new TempDir();
        for (int i = 0; i < 5; i++) dir.Png($"{i}.png", (byte)i, w: 4, h: 4, channels: 1);     // 16 bytes each
        var cache = new CachedDataset(ImageFolder.Open(dir.Path).Train, budgetBytes: 40);
        var first = cache.Image(0);
        Assert.Same(first, cache.Image(0));
        for (int i = 1; i < 5; i++) Assert.Equal((byte)i, cache.Image(i).Pixels[0]);
        Assert.Equal(2, cache.CachedCount);                 // 2 × 16 ≤ 40 < 3 × 16
        Assert.Equal(32, cache.CachedBytes);
        Assert.NotSame(cache.Image(4), cache.Image(4));     // beyond the budget: decoded afresh each time
    }
}
