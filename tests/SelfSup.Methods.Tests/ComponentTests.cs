namespace SelfSup.Methods.Tests;

public class ComponentTests
{
    [Fact]
    public void Momentum_update_moves_the_copy_toward_the_source_by_exactly_one_minus_m()
    {
        var rng = new Generator(5);
        var source = new Mlp([6, 5, 3], rng); var copy = new Mlp([6, 5, 3], rng);
        var before = copy.Parameters().Select(p => p.ToArray()).ToList();
        MomentumEncoder.Update(source, copy, 0.9f);
        var src = source.Parameters().ToList(); var dst = copy.Parameters().ToList();
        for (int i = 0; i < src.Count; i++)
        {
            var q = src[i].ToArray(); var k = dst[i].ToArray();
            for (int j = 0; j < q.Length; j++) Assert.Equal(0.9f * before[i][j] + (1 - 0.9f) * q[j], k[j]);
        }
    }

    [Fact]
    public void Momentum_update_leaves_batch_norm_buffers_alone_as_the_official_code()
    {
        var rng = new Generator(5);
        var source = new Mlp([4, 4, 2], rng); var copy = new Mlp([4, 4, 2], rng);
        source.Forward(Tensor.Randn(rng, 8, 4));                                // moves the source's running stats
        var copyMean = ((BatchNorm)copy[1]).RunningMean.ToArray();
        MomentumEncoder.Update(source, copy, 0.5f);
        Assert.Equal(copyMean, ((BatchNorm)copy[1]).RunningMean.ToArray());
    }

    [Fact]
    public void Cosine_momentum_goes_from_base_to_one()
    {
        Assert.Equal(0.99f, MomentumEncoder.Momentum(0.99f, cosine: true, 0, 100), 6);
        Assert.Equal(0.995f, MomentumEncoder.Momentum(0.99f, cosine: true, 50, 100), 6);
        Assert.Equal(1f, MomentumEncoder.Momentum(0.99f, cosine: true, 100, 100), 6);
        Assert.Equal(0.99f, MomentumEncoder.Momentum(0.99f, cosine: false, 50, 100), 6);
    }

    [Fact]
    public void Queue_pointer_advances_by_the_batch_and_wraps_overwriting_the_oldest()
    {
        var queue = new FeatureQueue(6, 2, new Generator(1));
        Tensor Batch(float v) => Tensor.Full(v, 2, 2);
        queue.Enqueue(Batch(1)); Assert.Equal(2, queue.Pointer);
        queue.Enqueue(Batch(2)); Assert.Equal(4, queue.Pointer);
        queue.Enqueue(Batch(3)); Assert.Equal(0, queue.Pointer);
        queue.Enqueue(Batch(4)); Assert.Equal(2, queue.Pointer);
        Assert.Equal([4f, 4, 4, 4, 2, 2, 2, 2, 3, 3, 3, 3], queue.Keys.ToArray());
    }

    [Fact]
    public void Queue_rejects_batches_that_do_not_divide_it()
    {
        var queue = new FeatureQueue(8, 2, new Generator(1));
        Assert.Throws<ArgumentException>(() => queue.Enqueue(Tensor.Zeros(3, 2)));
        Assert.Throws<ArgumentException>(() => queue.CheckBatchSize(5));
    }

    [Fact]
    public void Queue_and_bank_start_with_unit_rows()
    {
        foreach (var rows in new[] { new FeatureQueue(16, 8, new Generator(2)).Keys, new MemoryBank(16, 8, new Generator(2)).Rows })
            for (int i = 0; i < 16; i++)
                Assert.Equal(1f, MathF.Sqrt(rows.Narrow(0, i, 1).ToArray().Sum(v => v * v)), 5);
    }

    [Fact]
    public void Split_batch_norm_normalises_each_group_with_its_own_statistics()
    {
        var bn = new BatchNorm2d(3);
        var x = Tensor.Randn(new Generator(8), 8, 3, 2, 2);
        var y = SplitBatchNorm.Forward(bn, x, splits: 4);
        // By hand: group g = samples 2g, 2g+1; per channel mean and biased variance over 2·2·2 values.
        var expected = new float[x.Numel];
        double[] meanOfMeans = new double[3], meanOfVars = new double[3];
        for (int g = 0; g < 4; g++)
            for (int c = 0; c < 3; c++)
            {
                var values = new List<(int At, float V)>();
                for (int n = 2 * g; n < 2 * g + 2; n++)
                    for (int p = 0; p < 4; p++) { int at = (n * 3 + c) * 4 + p; values.Add((at, x.Data[at])); }
                double mean = values.Average(v => v.V), var = values.Average(v => (v.V - mean) * (v.V - mean));
                foreach (var (at, v) in values) expected[at] = (float)((v - mean) / Math.Sqrt(var + 1e-5));
                meanOfMeans[c] += mean / 4; meanOfVars[c] += var * 8 / 7 / 4;           // unbiased, as torch's running_var
            }
        TestUtil.Close(Tensor.From(expected, x.Shape), y, 1e-4f, 1e-4f);
        // Running stats: the average of the 4 group updates from the same start (SplitBatchNorm), one batch tracked.
        TestUtil.Close(Tensor.From(meanOfMeans.Select(m => (float)(0.1 * m)).ToArray(), 3), bn.RunningMean, 1e-5f, 1e-4f);
        TestUtil.Close(Tensor.From(meanOfVars.Select(v => (float)(0.9 + 0.1 * v)).ToArray(), 3), bn.RunningVar, 1e-5f, 1e-4f);
        Assert.Equal(1, bn.NumBatchesTracked.Data[0]);
    }

    [Fact]
    public void Shuffled_forward_returns_rows_in_batch_order_and_differs_from_plain_split()
    {
        var bn = new BatchNorm2d(2);
        var x = Tensor.Randn(new Generator(9), 8, 2, 1, 1);
        var y = SplitBatchNorm.ShuffledForward(bn, x, 4, new Generator(3));
        // Row i must be x_i normalised with the statistics of the group it was shuffled into: with pairs, each
        // normalised channel value is ±1·(1/√(1+eps/σ²)) — its sign says which of the pair is larger.
        var perm = new Generator(3).Permutation(8);
        var groupOf = new int[8];
        for (int i = 0; i < 8; i++) groupOf[perm[i]] = i / 2;
        for (int i = 0; i < 8; i++)
        {
            int partner = Enumerable.Range(0, 8).Single(j => j != i && groupOf[j] == groupOf[i]);
            for (int c = 0; c < 2; c++)
                Assert.Equal(MathF.Sign(x[i, c, 0, 0] - x[partner, c, 0, 0]), MathF.Sign(y[i, c, 0, 0]));
        }
    }

    [Fact]
    public void Split_batch_norm_in_eval_mode_is_a_plain_forward()
    {
        var bn = new BatchNorm2d(2);
        bn.Eval();
        var x = Tensor.Randn(new Generator(4), 4, 2, 2, 2);
        TestUtil.Close(bn.Forward(x), SplitBatchNorm.Forward(bn, x, 2), 0, 0);
    }
}
