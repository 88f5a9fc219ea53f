using Xunit;

namespace SelfSup.Distributed.Tests;

/// <summary>The collectives on real processes: two and three ranks under mpirun, each rank's result checked.</summary>
public class CollectiveTests
{
    const string Probe = "SelfSup.Distributed.Probe.dll";
    static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    /// <summary>Each rank's printed values after <paramref name="test"/>, by rank.</summary>
    static string[] Values(int ranks, string test)
    {
        var result = MpiRun.Run(ranks, Probe, Timeout, test);
        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}\n{result.Stdout}\n{result.Stderr}");
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("rank ")).ToArray();
        Assert.Equal(ranks, lines.Length);
        return [.. Enumerable.Range(0, ranks).Select(r =>
        {
            var prefix = $"rank {r} of {ranks}: {test}";
            var line = Assert.Single(lines, l => l.StartsWith(prefix));
            return line[prefix.Length..].Trim();
        })];
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void All_reduce_sums_every_ranks_values_on_every_rank(int ranks)
    {
        float n = ranks;
        var expected = $"{n * (n + 1) / 2} {10 * n * (n + 1) / 2} {-n * (n - 1) / 2}";
        Assert.All(Values(ranks, "allreduce"), v => Assert.Equal(expected, v));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void A_large_all_reduce_sums_every_value_on_every_rank(int ranks)
    {
        float n = ranks;
        Assert.All(Values(ranks, "allreduce-large"), v => Assert.Equal($"0 {999 * n * (n + 1) / 2}", v));
    }

    [Fact]
    public void All_gather_concatenates_in_rank_order()
    {
        Assert.All(Values(3, "allgather"), v => Assert.Equal("0 100 1 101 2 102", v));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void All_gather_with_gradient_returns_each_rank_the_sum_of_every_ranks_gradient_for_its_rows(int ranks)
    {
        var gathered = Enumerable.Range(0, ranks).SelectMany(r => Enumerable.Range(0, 6).Select(j => 10f * r + j));
        float total = ranks * (ranks + 1) / 2f;
        var values = Values(ranks, "allgather-grad");
        for (int r = 0; r < ranks; r++)
        {
            var grad = Enumerable.Range(1 + 6 * r, 6).Select(i => total * i);               // W(W+1)/2 · w_r
            string Text(IEnumerable<float> v) => string.Join(' ', v.Select(f => f.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            Assert.Equal(Text(gathered.Concat(grad)), values[r]);
        }
    }

    [Fact]
    public void Broadcast_gives_every_rank_the_roots_values()
    {
        Assert.All(Values(2, "broadcast"), v => Assert.Equal("42 7 9", v));
    }

    [Fact]
    public void A_rank_that_aborts_ends_the_job_with_a_non_zero_exit_instead_of_a_hang()
    {
        var result = MpiRun.Run(2, Probe, Timeout, "fail-rank-1");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("rank 1: failing on purpose", result.Stderr);
        Assert.True(result.Elapsed < TimeSpan.FromSeconds(60), $"took {result.Elapsed.TotalSeconds:F0} s");
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void A_rank_that_hangs_is_named_by_every_other_rank_once_the_timeout_passes(int ranks)
    {
        var result = MpiRun.Run(ranks, Probe, Timeout, "hang-rank-1", "4");
        Assert.NotEqual(0, result.ExitCode);
        Assert.True(result.Elapsed < TimeSpan.FromSeconds(30), $"took {result.Elapsed.TotalSeconds:F0} s");
        foreach (int r in Enumerable.Range(0, ranks).Where(r => r != 1))               // the first to give up names rank 1 alone,
            if (result.Stderr.Contains($"rank {r}: "))                                 // and so does any other that printed
                Assert.Contains($"rank {r}: barrier #1 gave up after", result.Stderr);
        var lines = result.Stderr.Split('\n').Where(l => l.Contains("gave up after")).ToArray();
        Assert.NotEmpty(lines);
        Assert.All(lines, l => Assert.Contains("rank 1 never reached it", l));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Gradients_become_their_mean_over_ranks_bucket_by_bucket(int ranks)
    {
        float mean = (ranks + 1) / 2f;                                          // mean of rank + 1
        int[] sizes = [5, 3, 7];
        var grads = sizes.SelectMany((n, i) => Enumerable.Range(0, n).Select(j => mean * (i + 1) + j))
            .Append(4f / ranks).Append(4f / ranks);                             // a gradient on rank 0 only
        var expected = "4 " + string.Join(' ', grads.Select(v => v.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.All(Values(ranks, "gradients"), v => Assert.Equal(expected, v));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Gradient_buckets_go_out_during_backward_and_average_to_the_mean_of_every_ranks_gradient(int ranks)
    {
        Assert.All(Values(ranks, "overlap"), v => Assert.Equal("0 4 4", v));     // no difference; 4 of 4 buckets during backward
    }

    [Fact]
    public void Every_rank_starts_from_rank_zeros_parameters_and_buffers()
    {
        var values = Values(2, "broadcast-state");
        Assert.StartsWith("0 ", values[0]);                                     // rank 0 kept its own
        Assert.StartsWith("1 ", values[1]);                                     // rank 1's were different, and replaced
        Assert.Equal(values[0][2..], values[1][2..]);
        Assert.EndsWith(" 0 0 10", values[1]);                                  // rank 0's running mean and counter
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Sync_batch_norm_on_each_ranks_slice_equals_batch_norm_on_the_whole_batch(int ranks)
    {
        foreach (var line in Values(ranks, "syncbn"))
        {
            var v = line.Split(' ').Select(t => float.Parse(t, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            Assert.Equal(ranks, v[^1]);
            string[] what = ["output", "input gradient", "weight gradient", "bias gradient", "running mean", "running variance"];
            for (int i = 0; i < what.Length; i++) Assert.True(v[i] < 2e-5f, $"{what[i]} differs by {v[i]}: {line}");
        }
    }
}
