using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using Xunit;

namespace SelfSup.Vision.Tests;

/// <summary>Broken and hostile files give an <see cref="InvalidDataException"/> naming the file — never
/// another exception, never a crash, never a large allocation.</summary>
public class HostileFileTests
{
    const string Name = "photo.jpg";

    static InvalidDataException Rejects(byte[] bytes, string name = Name)
    {
        var e = Assert.Throws<InvalidDataException>(() => ImageDecoder.Decode(bytes, name));
        Assert.StartsWith(name + ": ", e.Message);
        Assert.DoesNotContain("decoder bug", e.Message);
        return e;
    }

    /// <summary>Managed bytes this thread allocates while <paramref name="action"/> runs.</summary>
    static long Allocated(Action action)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        action();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    [Theory]
    [InlineData("rgb420_17x13.jpg")]
    [InlineData("rgb420_progressive_33x21.jpg")]
    [InlineData("orientation6_19x11.jpg")]
    [InlineData("rgb8_17x13.png")]
    [InlineData("palette4_trns_11x7.png")]
    [InlineData("rgba16_adam7_19x11.png")]
    public void Every_truncation_of_a_valid_file_is_rejected(string file)
    {
        var whole = Fixtures.Bytes(file);
        ImageDecoder.Decode(whole, file);                               // the full file is fine
        for (int length = 1; length < whole.Length; length++)
            Rejects(whole[..length], file);
    }

    [Fact]
    public void Zero_bytes_is_an_empty_file() =>
        Assert.Equal($"{Name}: empty file (0 bytes)", Rejects([]).Message);

    [Fact]
    public void A_text_file_named_jpg_is_not_an_image()
    {
        var e = Rejects("hello, this is not a picture\n"u8.ToArray());
        Assert.Equal($"{Name}: not a JPEG or PNG image (starts with 'hello, t')", e.Message);
    }

    [Fact]
    public void Load_names_the_path_of_a_text_file()
    {
        var path = Path.Combine(Path.GetTempPath(), $"selfsup-{Guid.NewGuid():N}.jpg");
        File.WriteAllText(path, "GIF89a is not supported either");
        try
        {
            var e = Assert.Throws<InvalidDataException>(() => ImageDecoder.Load(path));
            Assert.StartsWith(path + ": not a JPEG or PNG image", e.Message);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Random_bytes_are_rejected_with_their_first_bytes_in_hex()
    {
        var rng = new Random(11);
        for (int i = 0; i < 200; i++)
        {
            var bytes = new byte[rng.Next(1, 300)];
            rng.NextBytes(bytes);
            if (bytes[0] is 0xFF or 0x89) bytes[0] = 0x00;             // no accidental magic
            Assert.Contains("not a JPEG or PNG image (starts with", Rejects(bytes).Message);
        }
    }

    [Theory]
    [InlineData("rgb420_17x13.jpg")]
    [InlineData("rgb444_progressive_9x7.jpg")]
    [InlineData("gray_17x13.jpg")]
    [InlineData("rgb8_adam7_19x11.png")]
    [InlineData("palette2_17x13.png")]
    [InlineData("rgba16_17x13.png")]
    public void Randomly_corrupted_files_decode_or_fail_cleanly(string file)
    {
        var whole = Fixtures.Bytes(file);
        var rng = new Random(file.Length);
        for (int trial = 0; trial < 300; trial++)
        {
            var bytes = (byte[])whole.Clone();
            int flips = rng.Next(1, 8);
            for (int k = 0; k < flips; k++) bytes[rng.Next(2, bytes.Length)] = (byte)rng.Next(256);
            try
            {
                var image = ImageDecoder.Decode(bytes, file);
                Assert.True(image.Width <= ImageLimits.MaxSide && image.Height <= ImageLimits.MaxSide);
            }
            catch (InvalidDataException e)
            {
                Assert.StartsWith(file + ": ", e.Message);
                Assert.DoesNotContain("decoder bug", e.Message);
            }
        }
    }

    [Fact]
    public void A_png_claiming_100000_by_100000_fails_fast_without_allocating()
    {
        var png = Png(ihdr: Ihdr(100_000, 100_000, depth: 8, colour: 2), idat: Zlib(new byte[64]));
        var clock = Stopwatch.StartNew();
        long allocated = Allocated(() => Assert.Contains("100000×100000", Rejects(png).Message));
        Assert.True(allocated < 1 << 20, $"allocated {allocated} bytes");
        Assert.True(clock.ElapsedMilliseconds < 1000, $"took {clock.ElapsedMilliseconds} ms");
    }

    [Fact]
    public void A_png_whose_small_idat_cannot_hold_its_large_header_is_truncated_before_allocation()
    {
        var png = Png(ihdr: Ihdr(20_000, 4_000, depth: 8, colour: 2), idat: Zlib(new byte[1000]));
        long allocated = Allocated(() => Assert.Contains("cannot hold a 20000×4000 image", Rejects(png, "big.png").Message));
        Assert.True(allocated < 1 << 20, $"allocated {allocated} bytes");
    }

    [Fact]
    public void Inflation_stops_at_the_size_the_header_implies()
    {
        // A 4×4 grey image followed by 20 MB of extra zeros in the same zlib stream (a zip bomb).
        var raw = new byte[20 << 20];
        for (int y = 0; y < 4; y++) raw[y * 5 + 1 + y] = 200;               // filter 0, one bright pixel per row
        var png = Png(ihdr: Ihdr(4, 4, depth: 8, colour: 0), idat: Zlib(raw));
        RawImage? image = null;
        long allocated = Allocated(() => image = ImageDecoder.Decode(png, "bomb.png"));
        Assert.Equal(200, image![2, 2, 0]);
        Assert.Equal(0, image[2, 1, 0]);
        Assert.True(allocated < 2 << 20, $"allocated {allocated} bytes");
    }

    [Fact]
    public void A_bad_crc_is_reported_with_its_chunk()
    {
        var png = Fixtures.Bytes("rgb8_17x13.png");
        int idat = IndexOf(png, "IDAT"u8);
        png[idat + 10] ^= 0x40;
        Assert.Contains("bad CRC in chunk 'IDAT'", Rejects(png, "x.png").Message);
    }

    [Fact]
    public void A_png_with_corrupt_compressed_data_is_rejected()
    {
        var raw = new byte[4 * 5];
        var stream = Zlib(raw);
        stream[2] = 0xFF;                                                       // an invalid deflate block type
        Rejects(Png(Ihdr(4, 4, 8, 0), stream), "z.png");
    }

    [Theory]
    [InlineData(3, 16)]   // palette cannot be 16-bit
    [InlineData(2, 4)]    // RGB cannot be 4-bit
    [InlineData(5, 8)]    // no colour type 5
    public void Impossible_bit_depths_and_colour_types_are_rejected(int colour, int depth) =>
        Assert.Contains("PNG", Rejects(Png(Ihdr(4, 4, depth, colour), Zlib(new byte[40])), "d.png").Message);

    [Fact]
    public void A_jpeg_with_a_corrupted_huffman_table_is_rejected()
    {
        var jpeg = Fixtures.Bytes("rgb420_17x13.jpg");
        int dht = IndexOf(jpeg, [0xFF, 0xC4]);
        for (int i = 0; i < 16; i++) jpeg[dht + 5 + i] = 0xFF;                // code counts summing past 256
        Assert.Contains("Huffman", Rejects(jpeg).Message);
    }

    [Fact]
    public void A_jpeg_sof_claiming_65500_by_65500_fails_fast_without_allocating()
    {
        var jpeg = Fixtures.Bytes("rgb420_17x13.jpg");
        int sof = IndexOf(jpeg, [0xFF, 0xC0]);
        BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(sof + 5), 65500);    // height
        BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(sof + 7), 65500);    // width
        var clock = Stopwatch.StartNew();
        long allocated = Allocated(() => Assert.Contains("65500×65500", Rejects(jpeg).Message));
        Assert.True(allocated < 1 << 20, $"allocated {allocated} bytes");
        Assert.True(clock.ElapsedMilliseconds < 1000, $"took {clock.ElapsedMilliseconds} ms");
    }

    [Fact]
    public void A_small_jpeg_claiming_a_large_image_within_the_limits_is_rejected_before_allocation()
    {
        var jpeg = Fixtures.Bytes("rgb420_progressive_33x21.jpg");     // progressive: libjpeg would buffer all coefficients
        int sof = IndexOf(jpeg, [0xFF, 0xC2]);
        BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(sof + 5), 8000);
        BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(sof + 7), 8000);
        long allocated = Allocated(() => Assert.Contains("too small to hold 8000×8000", Rejects(jpeg).Message));
        Assert.True(allocated < 1 << 20, $"allocated {allocated} bytes");
    }

    [Fact]
    public void A_jpeg_with_garbage_after_its_markers_is_rejected()
    {
        var jpeg = Fixtures.Bytes("gray_17x13.jpg");
        int sos = IndexOf(jpeg, [0xFF, 0xDA]);
        var broken = jpeg[..sos].Concat(new byte[50]).Concat(new byte[] { 0xFF, 0xD9 }).ToArray();   // no scan at all
        Rejects(broken);
    }

    // ---------------------------------------------------------------- helpers

    static int IndexOf(byte[] haystack, ReadOnlySpan<byte> needle)
    {
        int i = haystack.AsSpan().IndexOf(needle);
        Assert.True(i >= 0);
        return i;
    }

    static byte[] Ihdr(int width, int height, int depth, int colour)
    {
        var d = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(d, width);
        BinaryPrimitives.WriteInt32BigEndian(d.AsSpan(4), height);
        d[8] = (byte)depth; d[9] = (byte)colour;
        return d;
    }

    static byte[] Zlib(byte[] raw)
    {
        using var ms = new MemoryStream();
        using (var z = new ZLibStream(ms, CompressionLevel.SmallestSize)) z.Write(raw);
        return ms.ToArray();
    }

    /// <summary>A PNG with valid CRCs around the given IHDR payload and zlib stream.</summary>
    static byte[] Png(byte[] ihdr, byte[] idat)
    {
        using var ms = new MemoryStream();
        ms.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        Chunk(ms, "IHDR"u8, ihdr);
        Chunk(ms, "IDAT"u8, idat);
        Chunk(ms, "IEND"u8, []);
        return ms.ToArray();
    }

    static void Chunk(Stream s, ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        var word = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        s.Write(word);
        s.Write(type);
        s.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32.Iso.Append(Crc32.Iso.Compute(type), data));
        s.Write(word);
    }

    [Fact]
    public void A_jpeg_without_its_quantisation_table_fails_the_same_after_good_jpegs_on_the_same_thread()
    {
        var good = Fixtures.Bytes("rgb420_q50_40x24.jpg");
        var broken = (byte[])good.Clone();
        int dqt = broken.AsSpan().IndexOf([(byte)0xFF, (byte)0xDB]);
        broken[dqt + 1] = 0xFE;                                            // DQT becomes a comment: no table defined
        string alone = Rejects(broken).Message;
        Assert.Contains("Quantization table", alone);
        for (int round = 0; round < 3; round++)
        {
            ImageDecoder.Decode(good, Name);                               // fills a reused decoder's tables
            Assert.Equal(alone, Rejects(broken).Message);
        }
    }
}
