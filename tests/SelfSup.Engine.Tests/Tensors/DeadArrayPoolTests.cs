using Xunit;

namespace SelfSup.Engine.Tests;

public class DeadArrayPoolTests
{
    [Fact]
    public void Hands_back_arrays_of_the_exact_length_only()
    {
        var pool = new DeadArrayPool(limitBytes: 1 << 20);
        var a = new float[100];
        pool.Add(a);
        Assert.Null(pool.Take(101));
        Assert.Same(a, pool.Take(100));
        Assert.Null(pool.Take(100));
        Assert.Equal(0, pool.Bytes);
    }

    [Fact]
    public void Over_the_limit_the_length_asked_for_least_recently_is_evicted()
    {
        var pool = new DeadArrayPool(limitBytes: 4 * 300);                   // room for three arrays of 100
        pool.Take(100); pool.Take(200);                                      // 100 asked first (colder), then 200
        pool.Add(new float[100]); pool.Add(new float[100]); pool.Add(new float[100]);
        var warm = new float[200];
        pool.Add(warm);                                                      // evicts two arrays of 100 to fit
        Assert.Equal(4 * 300, pool.Bytes);
        Assert.Same(warm, pool.Take(200));
        Assert.NotNull(pool.Take(100));
        Assert.Null(pool.Take(100));                                         // only one of the three 100s was kept
    }

    [Fact]
    public void An_array_of_the_coldest_length_is_dropped_instead_of_evicting_warmer_ones()
    {
        var pool = new DeadArrayPool(limitBytes: 4 * 200);
        pool.Take(100); pool.Take(200);                                      // 200 is the warmer length
        var kept = new float[200];
        pool.Add(kept);
        pool.Add(new float[100]);                                            // would need 200's room: dropped
        Assert.Null(pool.Take(100));
        Assert.Same(kept, pool.Take(200));
    }
}
