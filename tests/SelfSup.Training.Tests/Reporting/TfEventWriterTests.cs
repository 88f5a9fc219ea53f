using System.Text;
using Xunit;

namespace SelfSup.Training.Tests;

public class TfEventWriterTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("selfsup-events-").FullName;
    public void Dispose() => Directory.Delete(root, recursive: true);

    [Theory]
    [InlineData("123456789", 0xE3069283u)]
    [InlineData("", 0x00000000u)]
    [InlineData("a", 0xC1D04330u)]
    public void Crc32C_matches_known_vectors(string text, uint expected) =>
        Assert.Equal(expected, Crc32C.Compute(Encoding.ASCII.GetBytes(text)));

    [Fact]
    public void Crc32C_matches_the_iSCSI_test_patterns_of_RFC_3720()
    {
        Assert.Equal(0x8A9136AAu, Crc32C.Compute(new byte[32]));
        Assert.Equal(0x62A8AB43u, Crc32C.Compute(Enumerable.Repeat((byte)0xFF, 32).ToArray()));
        Assert.Equal(0x46DD794Eu, Crc32C.Compute(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray()));
        Assert.Equal(0x113FDB5Cu, Crc32C.Compute(Enumerable.Range(0, 32).Select(i => (byte)(31 - i)).ToArray()));
    }

    [Fact]
    public void Mask_rotates_right_by_15_and_adds_the_constant()
    {
        Assert.Equal(0xa282ead8u, Crc32C.Mask(0));
        Assert.Equal(unchecked(0x00020000u + 0xa282ead8u), Crc32C.Mask(1));           // bit 0 → bit 17
        Assert.Equal(unchecked(0x00000001u + 0xa282ead8u), Crc32C.Mask(1u << 15));     // bit 15 → bit 0
    }

    [Fact]
    public void Event_file_name_follows_TensorBoards_pattern()
    {
        using var w = new TfEventWriter(root);
        var name = Path.GetFileName(w.Path);
        Assert.Matches(@"^events\.out\.tfevents\.\d{10}\." + System.Text.RegularExpressions.Regex.Escape(Environment.MachineName) + "$", name);
    }

    [Fact]
    public void Records_carry_valid_CRCs_and_decode_to_the_scalars_written()
    {
        string path;
        using (var w = new TfEventWriter(root))
        {
            path = w.Path;
            w.Scalar("train/loss", 1, 4.5);
            w.Scalars(300, [("train/loss", 3.25), ("train/lr", 0.03)]);
            w.Scalar("epoch/knn_top1", 1L << 40, 0.875);                               // a step needing a 6-byte varint
        }
        var events = EventFileReader.Read(path);
        Assert.Equal(4, events.Count);
        Assert.Equal("brain.Event:2", events[0].FileVersion);
        Assert.Empty(events[0].Values);
        Assert.All(events, e => Assert.InRange(e.WallTime, DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 60, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1));
        Assert.Equal(1, events[1].Step);
        Assert.Equal([("train/loss", 4.5f)], events[1].Values);
        Assert.Equal(300, events[2].Step);
        Assert.Equal([("train/loss", 3.25f), ("train/lr", 0.03f)], events[2].Values);
        Assert.Equal(1L << 40, events[3].Step);
        Assert.Equal([("epoch/knn_top1", 0.875f)], events[3].Values);
    }

    [Fact]
    public void Records_are_on_disk_after_Flush_while_the_writer_stays_open()
    {
        using var w = new TfEventWriter(root);
        w.Scalar("train/loss", 7, 1.0);
        w.Flush();
        using var read = new FileStream(w.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var copy = Path.Combine(root, "copy");
        using (var c = File.Create(copy)) read.CopyTo(c);
        Assert.Equal(7, EventFileReader.Read(copy)[^1].Step);
    }

    [Fact]
    public void A_hand_encoded_event_matches_the_protobuf_bytes()
    {
        // Event{step: 150, summary{value{tag:"a", simple_value: 1.0}}} as protoc would write it (wall_time omitted).
        var bytes = new ProtoWriter().Int64(2, 150)
            .Message(5, new ProtoWriter().Message(1, new ProtoWriter().String(1, "a").Float(2, 1f))).ToArray();
        byte[] expected = [0x10, 0x96, 0x01, 0x2A, 0x0A, 0x0A, 0x08, 0x0A, 0x01, (byte)'a', 0x15, 0x00, 0x00, 0x80, 0x3F];
        Assert.Equal(expected, bytes);
    }
}
