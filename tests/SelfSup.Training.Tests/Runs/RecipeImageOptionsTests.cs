using System.Diagnostics;
using SelfSup.Vision;
using Xunit;

namespace SelfSup.Training.Tests;

/// <summary>The options that bound what a folder run reads: --cache-mb, --max-image-pixels and --strict.</summary>
public sealed class RecipeImageOptionsTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("selfsup-imageopts-").FullName;

    public RecipeImageOptionsTests()
    {
        foreach (var (cls, side) in new[] { ("a", 16), ("b", 16), ("b", 40) })
        {
            Directory.CreateDirectory(Path.Combine(dir, cls));
            var pixels = new byte[side * side * 3];
            new Random(side).NextBytes(pixels);
            File.WriteAllBytes(Path.Combine(dir, cls, $"{side}.png"), PngEncoder.Encode(new RawImage(side, side, 3, pixels)));
        }
    }

    public void Dispose() => Directory.Delete(dir, recursive: true);

    TrainOptions Options => new() { Method = "simclr", Data = $"folder:{dir}", Width = 4 };

    [Fact]
    public void Cache_mb_sets_the_decoded_image_cache_of_both_splits()
    {
        var recipe = Recipe.Resolve(Options with { CacheMb = 3 });
        Assert.Equal(3L << 20, Assert.IsType<CachedDataset>(recipe.Data.Train).BudgetBytes);
        Assert.Equal(2L << 30, Assert.IsType<CachedDataset>(Recipe.Resolve(Options).Data.Train).BudgetBytes);   // the default
    }

    [Fact]
    public void Max_image_pixels_makes_larger_images_unreadable_files()
    {
        var recipe = Recipe.Resolve(Options with { MaxImagePixels = 16 * 16 });
        var train = recipe.Data.Train;
        int big = Enumerable.Range(0, train.Count).Single(i => train.Describe(i).EndsWith("40.png"));
        Assert.Equal(16, train.Image(big).Width);                                   // served another file instead
        Assert.Equal(40, Recipe.Resolve(Options).Data.Train.Image(big).Width);      // read under the default limit
    }

    [Fact]
    public async Task Strict_stops_at_a_fifo_that_a_default_run_skips()
    {
        using (var mk = Process.Start("mkfifo", [Path.Combine(dir, "a", "pipe.png")])) await mk.WaitForExitAsync();
        Assert.Equal(3, Recipe.Resolve(Options).Data.Train.Count);
        var e = Assert.Throws<InvalidDataException>(() => Recipe.Resolve(Options with { Strict = true }));
        Assert.Equal($"{Path.Combine(dir, "a", "pipe.png")}: a FIFO, not an image file (--strict)", e.Message);
    }
}
