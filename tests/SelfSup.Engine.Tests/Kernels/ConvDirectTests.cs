using SelfSup.Engine.Kernels;
using Xunit;

namespace SelfSup.Engine.Tests.Kernels;

/// <summary>The direct 3×3 convolutions (ConvDirect3x3, ConvTiny3x3) against the naive convolution of <see cref="ConvTests"/>.</summary>
public unsafe class ConvDirectTests
{
    public static TheoryData<int, int, int, int, int, int> Shapes => new()
    {
        // N, Cin, H, W, Cout, stride
        { 2, 3, 8, 8, 5, 1 },
        { 1, 16, 28, 28, 16, 1 },     // batch 1, the demo network's first stage
        { 3, 1, 28, 28, 16, 1 },      // 1-channel stem
        { 5, 7, 7, 7, 13, 1 },        // odd sizes, channels not a multiple of 8
        { 37, 3, 6, 5, 4, 1 },        // many chunks, ragged last chunk, several weight-gradient partials
        { 2, 4, 1, 1, 3, 1 },         // 1×1 plane: every tap but the centre is border
        { 4, 16, 28, 28, 32, 2 },     // stride 2, 28 → 14
        { 9, 17, 14, 14, 9, 2 },      // stride 2, 14 → 7
        { 6, 20, 7, 7, 24, 2 },       // stride 2, odd input 7 → 4
        { 3, 5, 9, 6, 11, 2 },        // stride 2, odd height, even width
        { 2, 3, 2, 3, 4, 2 },         // stride 2, tiny
        { 40, 6, 8, 8, 10, 1 },       // many images per chunk
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Matches_naive_convolution_for_one_and_two_threads(int n, int cin, int h, int w, int cout, int stride)
    {
        var s = new Conv2dShape(n, cin, h, w, cout, 3, 3, stride, stride, 1, 1, 1);
        var r = Reference.Of(s, seed: 11);
        AtThreadCounts(threads =>
        {
            var ya = Filled(s.OutputSize); var gxa = Filled(s.InputSize); var gwa = Filled(s.WeightSize); var gba = Filled(cout);
            fixed (float* px = r.X, pw = r.W, pb = r.B, pgy = r.Gy, pya = ya, pgxa = gxa, pgwa = gwa, pgba = gba)
            {
                ConvDirect3x3.Forward(s, px, pw, pb, pya);
                ConvDirect3x3.BackwardInput(s, pgy, pw, pgxa);
                ConvDirectWeightGrad.Run(s, px, pgy, pgwa, pgba);
            }
            ConvTests.Near(r.Y, ya, $"y ({threads} threads)");
            ConvTests.Near(r.Gx, gxa, $"gx ({threads} threads)");
            ConvTests.Near(r.Gw, gwa, $"gw ({threads} threads)");
            ConvTests.Near(r.Gb, gba, $"gb ({threads} threads)");
        });
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void One_pass_backward_equals_the_two_separate_kernels_bit_for_bit(int n, int cin, int h, int w, int cout, int stride)
    {
        var s = new Conv2dShape(n, cin, h, w, cout, 3, 3, stride, stride, 1, 1, 1);
        var r = Reference.Of(s, seed: 13);
        AtThreadCounts(threads =>
        {
            var gx = Filled(s.InputSize); var gw = Filled(s.WeightSize); var gb = Filled(cout);
            var gxOnePass = Filled(s.InputSize); var gwOnePass = Filled(s.WeightSize); var gbOnePass = Filled(cout);
            Conv2dKernels.BackwardInput(s, r.Gy, r.W, gx);
            Conv2dKernels.BackwardWeight(s, r.X, r.Gy, gw, gb);
            Conv2dKernels.Backward(s, r.X, r.Gy, r.W, gxOnePass, gwOnePass, gbOnePass);
            Assert.Equal(gx, gxOnePass);
            Assert.Equal(gw, gwOnePass);
            Assert.Equal(gb, gbOnePass);
            ConvTests.Near(r.Gx, gxOnePass, $"gx ({threads} threads)");               // and both right
            ConvTests.Near(r.Gw, gwOnePass, $"gw ({threads} threads)");
        });
    }

    [Theory]
    [InlineData(7, 5, 4, 4, 11)]       // the last stage's 4×4 maps, ragged image triples, channels not a multiple of 8
    [InlineData(26, 16, 4, 4, 20)]     // several chunks of 12 images
    [InlineData(1, 3, 2, 3, 9)]        // batch 1, non-square plane of 6 positions
    [InlineData(4, 2, 1, 1, 3)]        // 1×1 plane
    [InlineData(3, 128, 4, 4, 128)]    // widest channels handled
    public void Small_plane_kernel_matches_naive_convolution_for_one_and_two_threads(int n, int cin, int h, int w, int cout)
    {
        var s = new Conv2dShape(n, cin, h, w, cout, 3, 3, 1, 1, 1, 1, 1);
        Assert.True(ConvTiny3x3.Applies(s));
        var r = Reference.Of(s, seed: 31);
        var yNoBias = ConvTests.RefForward(s, r.X, r.W, null);
        AtThreadCounts(threads =>
        {
            var ya = Filled(s.OutputSize); var yn = Filled(s.OutputSize); var gxa = Filled(s.InputSize);
            fixed (float* px = r.X, pw = r.W, pb = r.B, pgy = r.Gy, pya = ya, pyn = yn, pgxa = gxa)
            {
                ConvTiny3x3.Forward(s, px, pw, pb, pya);
                ConvTiny3x3.Forward(s, px, pw, null, pyn);
                ConvTiny3x3.BackwardInput(s, pgy, pw, pgxa);
            }
            ConvTests.Near(r.Y, ya, $"y ({threads} threads)");
            ConvTests.Near(yNoBias, yn, $"y without bias ({threads} threads)");
            ConvTests.Near(r.Gx, gxa, $"gx ({threads} threads)");
        });
    }

    /// <summary>Random input, weight, bias and output gradient for a shape, and the naive convolution's
    /// output and gradients (in double) for them.</summary>
    sealed record Reference(float[] X, float[] W, float[] B, float[] Gy, double[] Y, double[] Gx, double[] Gw, double[] Gb)
    {
        public static Reference Of(Conv2dShape s, int seed)
        {
            var x = GemmTests.Random((int)s.InputSize, seed);
            var w = GemmTests.Random((int)s.WeightSize, seed + 1);
            var b = GemmTests.Random(s.Cout, seed + 2);
            var gy = GemmTests.Random((int)s.OutputSize, seed + 3);
            var gx = new double[s.InputSize]; var gw = new double[s.WeightSize]; var gb = new double[s.Cout];
            ConvTests.RefBackward(s, x, w, gy, gx, gw, gb);
            return new(x, w, b, gy, ConvTests.RefForward(s, x, w, b), gx, gw, gb);
        }
    }

    /// <summary>Runs <paramref name="check"/> with the kernels' worker count set to 1, then 2.</summary>
    static void AtThreadCounts(Action<int> check)
    {
        int saved = Workers.Threads;
        try
        {
            foreach (int threads in new[] { 1, 2 })
            {
                Workers.Threads = threads;
                check(threads);
            }
        }
        finally { Workers.Threads = saved; }
    }

    [Theory]
    [InlineData(256, 28, 28, 1)]     // one image fills the grid budget: 256 chunks
    [InlineData(256, 14, 14, 6)]     // 43 chunks of 6 images
    [InlineData(256, 7, 7, 16)]      // 24 would fit, but 11 chunks split 6:5 over two threads: 16 chunks of 16
    [InlineData(40, 8, 8, 3)]        // 18 would fit: 14 chunks of 3 instead of 3 chunks
    [InlineData(10, 7, 7, 10)]       // 16 images or fewer: one chunk
    public void Weight_gradient_chunks_fill_the_partial_sums_evenly(int n, int h, int w, int images)
    {
        Assert.Equal(images, ConvDirectWeightGrad.ChunkImages(n, h, w));
    }

    [Fact]
    public void Weight_gradient_is_bit_identical_for_any_thread_count()
    {
        var s = new Conv2dShape(70, 5, 9, 9, 7, 3, 3, 1, 1, 1, 1, 1);
        var x = GemmTests.Random((int)s.InputSize, 21);
        var gy = GemmTests.Random((int)s.OutputSize, 22);
        float[] Run(int threads)
        {
            int saved = Workers.Threads;
            Workers.Threads = threads;
            try
            {
                var gw = new float[s.WeightSize + s.Cout];
                fixed (float* px = x, pgy = gy, pgw = gw) ConvDirectWeightGrad.Run(s, px, pgy, pgw, pgw + s.WeightSize);
                return gw;
            }
            finally { Workers.Threads = saved; }
        }
        var one = Run(1);
        Assert.Equal(one, Run(2));
        Assert.Equal(one, Run(3));
    }

    [Fact]
    public void Dispatch_takes_the_direct_path_only_for_small_3x3_padding_1_convolutions()
    {
        Assert.True(ConvDirect3x3.Applies(new Conv2dShape(8, 16, 28, 28, 16, 3, 3, 1, 1, 1, 1, 1)));
        Assert.True(ConvDirect3x3.Applies(new Conv2dShape(8, 16, 28, 28, 32, 3, 3, 2, 2, 1, 1, 1)));
        Assert.False(ConvDirect3x3.Applies(new Conv2dShape(8, 16, 28, 28, 16, 3, 3, 1, 1, 0, 0, 1)));   // no padding
        Assert.False(ConvDirect3x3.Applies(new Conv2dShape(8, 16, 28, 28, 16, 3, 3, 1, 1, 1, 1, 2)));   // grouped
        Assert.False(ConvDirect3x3.Applies(new Conv2dShape(8, 16, 28, 28, 16, 1, 1, 1, 1, 0, 0, 1)));   // 1×1
    }

    private static float[] Filled(long n)
    {
        var a = new float[n];
        Array.Fill(a, float.NaN);
        return a;
    }
}
