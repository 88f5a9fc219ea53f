using System.Text.RegularExpressions;
using Xunit;

namespace SelfSup.Training.Tests;

/// <summary>A method lives in two files: its method (with its options record) in Methods and its recipe in
/// Training/Recipes. No other source file may key anything on its name, so adding a method stays two files.</summary>
public class MethodHomeTests
{
    static string SourceRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SelfSup.slnx"))) return Path.Combine(dir.FullName, "src");
        throw new DirectoryNotFoundException("the repository root (SelfSup.slnx) is not above the test binaries");
    }

    [Fact]
    public void A_method_name_appears_in_source_only_in_its_method_and_its_recipe()
    {
        var sources = Directory.EnumerateFiles(SourceRoot(), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"))
            .Select(f => (Path: f, Text: File.ReadAllText(f))).ToList();
        Assert.True(sources.Count > 50, $"only {sources.Count} source files found");
        foreach (var recipe in MethodRecipes.All)
        {
            string stem = recipe.GetType().Name[..^"Recipe".Length];                  // MoCoRecipe → MoCo
            string[] homes = [$"{stem}.cs", $"{recipe.GetType().Name}.cs"];
            var pattern = new Regex($"\"{Regex.Escape(recipe.Name)}\"", RegexOptions.IgnoreCase);
            var elsewhere = sources.Where(s => pattern.IsMatch(s.Text) && !homes.Contains(Path.GetFileName(s.Path)))
                .Select(s => Path.GetRelativePath(SourceRoot(), s.Path)).ToList();
            Assert.True(elsewhere.Count == 0, $"\"{recipe.Name}\" appears outside {string.Join(" and ", homes)}: {string.Join(", ", elsewhere)}");
            Assert.Contains(sources, s => Path.GetFileName(s.Path) == homes[0] && pattern.IsMatch(s.Text));    // its method names it
        }
    }
}
