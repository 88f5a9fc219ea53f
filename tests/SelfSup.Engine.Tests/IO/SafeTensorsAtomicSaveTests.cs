using SelfSup.Engine;
using SelfSup.Engine.IO;
using Xunit;

namespace SelfSup.Engine.Tests;

public sealed class SafeTensorsAtomicSaveTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("selfsup-atomic-").FullName;
    public void Dispose() => Directory.Delete(dir, recursive: true);

    static StateDict With(string name, float value)
    {
        var s = new StateDict();
        s.Add(name, Tensor.From([value, value], 2));
        return s;
    }

    [Fact]
    public void Failed_save_leaves_the_old_file_intact_and_no_temporary_file()
    {
        string path = Path.Combine(dir, "last.safetensors");
        SafeTensors.Save(path, With("w", 1f));
        var before = File.ReadAllBytes(path);

        var bad = With("w", 2f);
        bad.Add("__metadata__", Tensor.Zeros(1));                   // cannot be written: collides with the metadata key
        Assert.Throws<ArgumentException>(() => SafeTensors.Save(path, bad));

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(dir));
    }

    [Fact]
    public void Save_replaces_an_existing_file_and_leaves_no_temporary_file()
    {
        string path = Path.Combine(dir, "last.safetensors");
        SafeTensors.Save(path, With("w", 1f));
        SafeTensors.Save(path, With("v", 3f));
        var loaded = SafeTensors.Load(path);
        Assert.Equal(["v"], loaded.Keys);
        Assert.Equal([3f, 3f], loaded.Float("v").ToArray());
        Assert.Equal([path], Directory.GetFiles(dir));
    }

    [Fact]
    public void Save_into_a_missing_folder_fails_without_leaving_anything()
    {
        string path = Path.Combine(dir, "missing", "x.safetensors");
        Assert.Throws<DirectoryNotFoundException>(() => SafeTensors.Save(path, With("w", 1f)));
        Assert.Empty(Directory.GetFileSystemEntries(dir));
    }
}
