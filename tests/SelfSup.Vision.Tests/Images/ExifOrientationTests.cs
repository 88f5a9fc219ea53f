using System.Buffers.Binary;
using Xunit;

namespace SelfSup.Vision.Tests;

public class ExifOrientationTests
{
    // 3×2 grey image:  1 2 3
    //                  4 5 6
    static readonly RawImage Source = new(3, 2, 1, [1, 2, 3, 4, 5, 6]);

    [Theory]
    [InlineData(1, 3, new byte[] { 1, 2, 3, 4, 5, 6 })]
    [InlineData(2, 3, new byte[] { 3, 2, 1, 6, 5, 4 })]       // mirror left–right
    [InlineData(3, 3, new byte[] { 6, 5, 4, 3, 2, 1 })]       // rotate 180°
    [InlineData(4, 3, new byte[] { 4, 5, 6, 1, 2, 3 })]       // mirror top–bottom
    [InlineData(5, 2, new byte[] { 1, 4, 2, 5, 3, 6 })]       // transpose
    [InlineData(6, 2, new byte[] { 4, 1, 5, 2, 6, 3 })]       // rotate 90° clockwise
    [InlineData(7, 2, new byte[] { 6, 3, 5, 2, 4, 1 })]       // transverse
    [InlineData(8, 2, new byte[] { 3, 6, 2, 5, 1, 4 })]       // rotate 90° anticlockwise
    [InlineData(0, 3, new byte[] { 1, 2, 3, 4, 5, 6 })]       // invalid values leave the image alone
    [InlineData(9, 3, new byte[] { 1, 2, 3, 4, 5, 6 })]
    public void Orientation_is_undone(int orientation, int width, byte[] expected)
    {
        var upright = ExifOrientation.Apply(Source, orientation);
        Assert.Equal(width, upright.Width);
        Assert.Equal(expected, upright.Pixels);
    }

    static byte[] ExifApp1(bool little, ushort type, uint value)
    {
        var tiff = new byte[26];
        tiff[0] = tiff[1] = (byte)(little ? 'I' : 'M');
        Action<int, ushort> u16 = little ? (o, v) => BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(o), v)
                                         : (o, v) => BinaryPrimitives.WriteUInt16BigEndian(tiff.AsSpan(o), v);
        Action<int, uint> u32 = little ? (o, v) => BinaryPrimitives.WriteUInt32LittleEndian(tiff.AsSpan(o), v)
                                       : (o, v) => BinaryPrimitives.WriteUInt32BigEndian(tiff.AsSpan(o), v);
        u16(2, 42); u32(4, 8); u16(8, 1);
        u16(10, 0x0112); u16(12, type); u32(14, 1);
        if (type == 3) u16(18, (ushort)value); else u32(18, value);
        return [.. "Exif\0\0"u8, .. tiff];
    }

    [Theory]
    [InlineData(true, 3, 6u, 6)]
    [InlineData(false, 3, 8u, 8)]
    [InlineData(true, 4, 3u, 3)]          // LONG instead of SHORT
    [InlineData(true, 3, 200u, 0)]        // out of range
    public void The_orientation_tag_is_read_in_either_byte_order(bool little, ushort type, uint value, int expected) =>
        Assert.Equal(expected, JpegMarkers.ExifOrientationTag(ExifApp1(little, type, value)));

    [Fact]
    public void Truncated_or_lying_exif_never_reads_out_of_range()
    {
        var app1 = ExifApp1(true, 3, 6);
        for (int length = 0; length < app1.Length; length++)
            Assert.InRange(JpegMarkers.ExifOrientationTag(app1.AsSpan(0, length)), 0, 8);
        var lying = (byte[])app1.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(lying.AsSpan(6 + 4), 0xFFFFFFF0);     // IFD offset past the end
        Assert.Equal(0, JpegMarkers.ExifOrientationTag(lying));
        lying = (byte[])app1.Clone();
        BinaryPrimitives.WriteUInt16LittleEndian(lying.AsSpan(6 + 8), 60000);          // entry count past the end,
        BinaryPrimitives.WriteUInt16LittleEndian(lying.AsSpan(6 + 10), 0x0110);        // and the one real entry is another tag
        Assert.Equal(0, JpegMarkers.ExifOrientationTag(lying));
    }
}
