using System.Diagnostics;
using Xunit;

namespace SelfSup.Vision.Tests.Datasets;

/// <summary>Folder trees a reliability probe found hanging or multiplying a class: FIFOs and directory links.</summary>
public class HostileFolderTests
{
    [Fact]
    public async Task A_fifo_named_like_an_image_is_reported_without_being_opened()
    {
        using var dir = new TempDir();
        dir.Png("a/0.png", 10);
        var fifo = Path.Combine(dir.Path, "a", "x.jpg");
        using (var mk = Process.Start("mkfifo", [fifo])) await mk.WaitForExitAsync();
        var open = Task.Run(() => (FolderDataset)ImageFolder.Open(dir.Path).Train);
        var data = await open.WaitAsync(TimeSpan.FromSeconds(20));            // TimeoutException: it hung
        Assert.Equal(1, data.Count);
        var bad = Assert.Single(data.BadFiles);
        Assert.Equal(fifo, bad.Path);
        Assert.Contains("a FIFO", bad.Reason);
    }

    [Fact]
    public async Task Directory_links_and_loops_list_each_image_once()
    {
        using var dir = new TempDir();
        dir.Png("dog/0.png", 1);
        dir.Png("dog/sub/1.png", 2);
        dir.Png("cat/2.png", 3);
        Directory.CreateSymbolicLink(Path.Combine(dir.Path, "dog", "self"), ".");
        Directory.CreateSymbolicLink(Path.Combine(dir.Path, "dog", "sub", "up"), "..");
        var open = Task.Run(() => (FolderDataset)ImageFolder.Open(dir.Path).Train);
        var data = await open.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(3, data.Count);
        Assert.Equal(2, Enumerable.Range(0, data.Count).Count(i => data.Label(i) == 1));    // dog: its two images, once each
        Assert.Equal(2, data.BadFiles.Count(b => b.Reason.Contains("already listed")));
    }

    [Fact]
    public void Folders_deeper_than_the_limit_are_reported_not_walked()
    {
        using var dir = new TempDir();
        var deepest = string.Join('/', Enumerable.Repeat("d", FolderWalk.MaxDepth));       // 64 levels below the class
        dir.Png($"cls/{deepest}/in.png", 1);
        dir.Png($"cls/{deepest}/d/out.png", 2);
        var data = (FolderDataset)ImageFolder.Open(dir.Path).Train;
        Assert.Equal(1, data.Count);
        Assert.EndsWith("/in.png", data.Path(0));
        var bad = Assert.Single(data.BadFiles);
        Assert.Equal($"{Path.Combine(dir.Path, "cls", deepest, "d")}: more than {FolderWalk.MaxDepth} folders deep (skipped)", bad.Reason);
    }
}
