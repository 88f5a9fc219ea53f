using SelfSup.Engine;
using SelfSup.Engine.IO;
using Xunit;

namespace SelfSup.Engine.Tests;

public sealed class SafeTensorsRoundTripTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("selfsup-st-").FullName;
    public void Dispose() => Directory.Delete(dir, recursive: true);

    static StateDict Sample()
    {
        var s = new StateDict();
        s.Add("layer1.0.conv1.weight", Tensor.From([1.5f, -2f, float.NaN, float.PositiveInfinity, -0f, 1e-45f], 1, 2, 3));
        s.Add("bn1.num_batches_tracked", new IntTensor([42]));                       // 0-d I64
        s.Add("temperature", Tensor.Scalar(0.07f));                                   // 0-d F32
        s.Add("empty.weight", Tensor.Zeros(0, 3));
        s.Add("empty.index", IntTensor.Zeros(0));
        s.Add("labels", IntTensor.From(int.MinValue, -1, 0, int.MaxValue));
        s.Add("ε.ünïcødé.权重", Tensor.From([3f, 4f], 2));
        s.Metadata["format"] = "selfsup";
        s.Metadata["method"] = "mocov2 — τ=0.2, ünïcødé";
        return s;
    }

    static void AssertSame(StateDict expected, StateDict actual)
    {
        Assert.Equal(expected.Keys, actual.Keys);                                     // order kept
        foreach (var (name, e) in expected)
        {
            var a = actual[name];
            Assert.Equal(e.Shape, a.Shape);
            if (e.Float is { } f)
            {
                Assert.NotNull(a.Float);
                Assert.Equal(f.ToArray().Select(BitConverter.SingleToInt32Bits), a.Float!.ToArray().Select(BitConverter.SingleToInt32Bits));
            }
            else Assert.Equal(e.Int!.Data, a.Int!.Data);
        }
        Assert.Equal(expected.Metadata, actual.Metadata);
    }

    [Fact]
    public void Bytes_round_trip_keeps_values_bitwise_shapes_order_and_metadata() =>
        AssertSame(Sample(), SafeTensors.Deserialize(SafeTensors.Serialize(Sample()), "mem"));

    [Fact]
    public void File_round_trip_keeps_everything_and_data_starts_8_byte_aligned()
    {
        string path = Path.Combine(dir, "model.safetensors");
        SafeTensors.Save(path, Sample());
        AssertSame(Sample(), SafeTensors.Load(path));
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(0ul, BitConverter.ToUInt64(bytes, 0) % 8);
        Assert.Equal(bytes, SafeTensors.Serialize(Sample()));
    }

    [Fact]
    public void Non_contiguous_tensors_are_written_in_row_major_order()
    {
        var s = new StateDict();
        s.Add("t", Tensor.From([1, 2, 3, 4, 5, 6], 2, 3).T);                       // (3, 2) view
        var back = SafeTensors.Deserialize(SafeTensors.Serialize(s), "mem").Float("t");
        Assert.Equal([3, 2], back.Shape);
        Assert.Equal([1f, 4f, 2f, 5f, 3f, 6f], back.ToArray());
    }

    [Fact]
    public void Empty_state_dict_round_trips()
    {
        var bytes = SafeTensors.Serialize(new StateDict());
        Assert.Equal("{}      ", System.Text.Encoding.UTF8.GetString(bytes, 8, 8));
        Assert.Equal(0, SafeTensors.Deserialize(bytes, "mem").Count);
    }
}
