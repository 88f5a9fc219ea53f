using static SelfSup.Testing.ViewSamples;
using SelfSup.Engine;
using SelfSup.Vision;
using SelfSup.Vision.Transforms;
using Xunit;

namespace SelfSup.Training.Tests;

/// <summary>The views each method's recipe takes: their shapes and the papers' choices.</summary>
public class RecipeViewTests
{
    [Theory]
    [InlineData(224, 3)]
    [InlineData(32, 3)]
    [InlineData(28, 1)]
    public void Every_preset_makes_views_of_the_requested_shape(int size, int channels)
    {
        var image = RandomImage(size + 13, size + 5, channels, 8);
        foreach (var recipe in MethodRecipes.All)
        {
            var views = recipe.Views(size, channels).Views;
            Assert.Equal(recipe is InstDiscRecipe ? 1 : 2, views.Count);
            foreach (var v in views)
            {
                Assert.Equal((channels, size, size), (v.Channels, v.Height, v.Width));
                Assert.All(View(v, image, 9), x => Assert.True(float.IsFinite(x) && Math.Abs(x) < 10));
            }
        }
        var eval = ViewParts.Eval(size, channels);
        Assert.Equal((channels, size, size), (eval.Channels, eval.Height, eval.Width));
        View(eval, image, 0);
    }

    [Fact]
    public void Presets_follow_the_papers()
    {
        string Describe(IViewTransform v) => v.ToString()!;
        var moco224 = Describe(MoCoRecipe.V2.Views(224, 3).Views[0]);
        Assert.Contains("MinScale = 0.2", moco224);
        Assert.Contains("GaussianBlur { KernelSize = 23", moco224);
        Assert.DoesNotContain("GaussianBlur", Describe(MoCoRecipe.V2.Views(32, 3).Views[0]));
        var byol = new ByolRecipe().Views(224, 3).Views;
        Assert.DoesNotContain("Solarize", Describe(byol[0]));
        Assert.Contains("RandomApply { P = 0.2, Steps = [Solarize", Describe(byol[1]));
        Assert.Contains("RandomApply { P = 0.1, Steps = [GaussianBlur", Describe(byol[1]));
        Assert.Contains("ColorJitter { Brightness = 0.8, Contrast = 0.8, Saturation = 0.8, Hue = 0.2 }", Describe(new SimClrRecipe().Views(224, 3).Views[0]));
        Assert.Contains("ColorJitter { Brightness = 0.4, Contrast = 0.4, Saturation = 0.4, Hue = 0.1 }", Describe(new SimClrRecipe().Views(32, 3).Views[0]));
        Assert.Contains("Bicubic", Describe(new BarlowTwinsRecipe().Views(224, 3).Views[0]));
        Assert.Contains("Mean = [0.286]", Describe(new SimClrRecipe().Views(28, 1).Views[0]));
        Assert.Throws<ArgumentException>(() => MethodRecipes.Get("nope"));
    }
}
