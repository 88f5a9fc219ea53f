using System.Diagnostics;
using SelfSup.Vision;
using Xunit;

namespace SelfSup.Training.Tests;

/// <summary>A class sub-folder the user may not read is skipped and reported (the probe found it aborting the run), and is
/// an error under --strict. Permissions mean nothing to root, so as root (CI) the CLI runs as user nobody via setpriv.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class UnreadableFolderTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("selfsup-unreadable-").FullName;
    string Locked => Path.Combine(dir, "a", "locked");

    public UnreadableFolderTests()
    {
        foreach (var file in new[] { "a/0.png", "a/locked/1.png", "b/2.png" })
        {
            var path = Path.Combine(dir, file);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            PngEncoder.Save(path, new RawImage(4, 4, 3, new byte[48]));
        }
        foreach (var folder in new[] { dir, Path.Combine(dir, "a"), Path.Combine(dir, "b") })
            File.SetUnixFileMode(folder, (UnixFileMode)0b111_101_101);           // 755: the tree is others' to read…
        File.SetUnixFileMode(Locked, UnixFileMode.None);                         // …but for this folder
    }

    public void Dispose()
    {
        File.SetUnixFileMode(Locked, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Directory.Delete(dir, recursive: true);
    }

    /// <summary>`selfsup ARGS` as a user without rights to <see cref="Locked"/>.</summary>
    static CliRun.Result RunUnprivileged(params string[] args)
    {
        var info = CliRun.StartInfo(args);
        if (Environment.UserName == "root")
        {
            info.ArgumentList.Insert(0, info.FileName);
            foreach (var a in new[] { "--clear-groups", "--regid=65534", "--reuid=65534" }) info.ArgumentList.Insert(0, a);
            info.FileName = "setpriv";
            info.Environment["HOME"] = Path.GetTempPath();
        }
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(2)), "selfsup did not end within 2 minutes");
        return new CliRun.Result(process.ExitCode, stdout.Result, stderr.Result);
    }

    [Fact]
    public void An_unreadable_class_subfolder_is_skipped_and_reported_and_the_readable_images_are_kept()
    {
        var result = RunUnprivileged("data", "inspect", "--data", $"folder:{dir}");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("2 images, 2 classes", result.Stdout);
        Assert.Contains($"{Locked}: folder cannot be read (Permission denied) (skipped)", result.Stdout);
    }

    [Fact]
    public void Under_strict_an_unreadable_subfolder_is_a_one_line_error()
    {
        var result = RunUnprivileged("data", "inspect", "--data", $"folder:{dir}", "--strict");
        Assert.Equal(1, result.ExitCode);
        Assert.EndsWith($"selfsup: {Locked}: folder cannot be read (Permission denied) (--strict)", result.Stderr.TrimEnd());
    }
}
