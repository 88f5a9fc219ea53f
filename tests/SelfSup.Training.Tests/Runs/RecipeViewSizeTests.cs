using SelfSup.Vision;
using Xunit;

namespace SelfSup.Training.Tests;

/// <summary>Photos larger than the paper's crop are trained and evaluated at 224 px, not at their own size.</summary>
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
}
