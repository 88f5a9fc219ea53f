using SelfSup.Engine;
using Xunit;

namespace SelfSup.Training.Tests;

public class CheckpointTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("selfsup-ckpt-").FullName;
    public void Dispose() => Directory.Delete(dir, recursive: true);

    static CheckpointContent Sample()
    {
        var model = new StateDict(); model.Add("conv1.weight", Tensor.From([1, 2, 3, 4], 2, 2)); model.Add("bn1.num_batches_tracked", IntTensor.From(7));
        var optim = new StateDict(); optim.Add("state.0.momentum_buffer", Tensor.From([0.5f, -0.5f], 2));
        var extra = new StateDict(); extra.Add("queue", Tensor.From([9, 8, 7], 3));
        return new CheckpointContent(model, optim, extra, new Dictionary<string, string> { ["method"] = "mocov2", ["epoch"] = "3" });
    }

    [Fact]
    public void Round_trip_keeps_every_part_and_the_info()
    {
        var path = Path.Combine(dir, "sub", "last.safetensors");
        Checkpoint.Save(path, Sample());
        var back = Checkpoint.Load(path);
        Assert.Equal([1, 2, 3, 4], back.Model.Float("conv1.weight").ToArray());
        Assert.Equal([7], back.Model.Int("bn1.num_batches_tracked").Data);
        Assert.Equal([0.5f, -0.5f], back.Optimizer.Float("state.0.momentum_buffer").ToArray());
        Assert.Equal([9, 8, 7], back.Extra.Float("queue").ToArray());
        Assert.Equal("mocov2", back.Info["method"]);
        Assert.Equal("3", back.Info["epoch"]);
    }

    [Fact]
    public void A_flipped_data_byte_is_caught_by_the_checksum()
    {
        var path = Path.Combine(dir, "c.safetensors");
        Checkpoint.Save(path, Sample());
        var bytes = File.ReadAllBytes(path);
        bytes[^2] ^= 0x40;                                                  // inside the last tensor's data
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path));
        Assert.Contains("checksum", e.Message);
    }

    [Fact]
    public void A_plain_safetensors_file_is_not_taken_for_a_checkpoint()
    {
        var path = Path.Combine(dir, "plain.safetensors");
        var sd = new StateDict(); sd.Add("w", Tensor.Ones(2));
        SelfSup.Engine.IO.SafeTensors.Save(path, sd);
        Assert.Contains("not a SelfSup checkpoint", Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path)).Message);
    }
}
