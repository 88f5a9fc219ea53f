using SelfSup.Vision;
using Xunit;

namespace SelfSup.Training.Tests;

/// <summary>What <see cref="Recipe"/> makes of the image size and backbone: photos larger than the paper's crop are
/// trained and evaluated at 224 px, not at their own size; a ViT's size is its own, not --width's.</summary>
public class RecipeViewSizeTests
{
    static string PhotoFolder(int width, int height)
    {
        string dir = Path.Combine(Path.GetTempPath(), $"selfsup-views-{Guid.NewGuid():N}");
        foreach (var cls in new[] { "a", "b" })
        {
            Directory.CreateDirectory(Path.Combine(dir, cls));
            for (int i = 0; i < 2; i++)
            {
                var pixels = new byte[width * height * 3];
                new Random(i).NextBytes(pixels);
                File.WriteAllBytes(Path.Combine(dir, cls, $"{i}.png"), PngEncoder.Encode(new RawImage(width, height, 3, pixels)));
            }
        }
        return dir;
    }

    [Theory]
    [InlineData(300, 250, 224)]      // a photo: cropped to the paper's 224
    [InlineData(96, 96, 96)]         // between the small threshold and 224: its own size
    public void PaperPresetViewsAreAtMost224(int width, int height, int expected)
    {
        string dir = PhotoFolder(width, height);
        try
        {
            var recipe = Recipe.Resolve(new TrainOptions { Method = "mocov2", Data = $"folder:{dir}", Width = 4 });
            Assert.False(recipe.Small);
            Assert.Equal(expected, recipe.ImageSize);
            foreach (var view in recipe.Views.Views.Append(recipe.EvalView))
                Assert.Equal((3, expected, expected), (view.Channels, view.Height, view.Width));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void A_vit_takes_no_resnet_width_or_stem_and_is_described_by_its_own_size()
    {
        string dir = PhotoFolder(32, 32);
        try
        {
            string data = $"folder:{dir}";
            var vit = Recipe.Resolve(new TrainOptions { Method = "mocov3", Data = data, Backbone = "vit-tiny" });
            Assert.Equal("vit-tiny (patch 4, 192-d, 12 blocks)", vit.DescribeBackbone());
            Assert.Equal("resnet18 width 4, cifar stem", Recipe.Resolve(new TrainOptions { Method = "mocov3", Data = data, Width = 4 }).DescribeBackbone());
            var width = Assert.Throws<ArgumentException>(() => Recipe.Resolve(new TrainOptions { Method = "mocov3", Data = data, Backbone = "vit-tiny", Width = 16 }));
            Assert.Contains("--width", width.Message);
            Assert.Throws<ArgumentException>(() => Recipe.Resolve(new TrainOptions { Method = "mocov3", Data = data, Backbone = "vit-small", Stem = "cifar" }));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void An_odd_image_sorted_first_does_not_decide_the_view_size()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"selfsup-views-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path.Combine(dir, "a"));
        try
        {
            File.WriteAllBytes(Path.Combine(dir, "a", "0-icon.png"), PngEncoder.Encode(new RawImage(1, 1, 1, [255])));
            for (int i = 1; i <= 10; i++)
                File.WriteAllBytes(Path.Combine(dir, "a", $"{i}.png"), PngEncoder.Encode(new RawImage(32, 32, 3, new byte[32 * 32 * 3])));
            var recipe = Recipe.Resolve(new TrainOptions { Method = "mocov2", Data = $"folder:{dir}", Width = 4 });
            Assert.Equal((32, 3), (recipe.ImageSize, recipe.Channels));
            Assert.Equal(11, recipe.SizeSurvey.Sampled);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
