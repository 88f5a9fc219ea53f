namespace SelfSup.Vision.Tests;

/// <summary>The image fixtures of tools/image-fixtures/make_image_fixtures.py and their manifest.</summary>
public static class Fixtures
{
    public static string Directory => Path.Combine(AppContext.BaseDirectory, "Fixtures", "images");

    public static byte[] Bytes(string file) => File.ReadAllBytes(Path.Combine(Directory, file));

    /// <summary>One reference check: the file, the alpha handling, the expected size and pixels, the tolerance.</summary>
    public sealed record Case(string Image, AlphaHandling Alpha, int Width, int Height, int Channels, string Reference, int Tolerance)
    {
        public override string ToString() => $"{Image} ({Alpha})";
    }

    public static IEnumerable<Case> Manifest() =>
        File.ReadLines(Path.Combine(Directory, "manifest.txt"))
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .Select(line => line.Split(' '))
            .Select(f => new Case(f[0], f[1] == "drop" ? AlphaHandling.Drop : AlphaHandling.CompositeOnBlack,
                int.Parse(f[2]), int.Parse(f[3]), int.Parse(f[4]), f[5], int.Parse(f[6])));
}
