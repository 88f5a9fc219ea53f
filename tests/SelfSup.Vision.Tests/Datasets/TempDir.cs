namespace SelfSup.Vision.Tests.Datasets;

/// <summary>A fresh temporary folder, deleted on dispose.</summary>
public sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("selfsup-data-").FullName;

    public string File(string relative, byte[] bytes)
    {
        var full = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        System.IO.File.WriteAllBytes(full, bytes);
        return full;
    }

    /// <summary>Writes a w×h PNG whose every sample is <paramref name="value"/>.</summary>
    public string Png(string relative, byte value, int w = 4, int h = 3, int channels = 3)
    {
        var full = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        var pixels = new byte[w * h * channels];
        Array.Fill(pixels, value);
        PngEncoder.Save(full, new RawImage(w, h, channels, pixels));
        return full;
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException)                                                   // a name that is not UTF-8: .NET cannot name it
        {
            using var rm = System.Diagnostics.Process.Start("rm", ["-rf", Path]);
            rm.WaitForExit();
        }
    }
}
