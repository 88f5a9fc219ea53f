using SelfSup.Engine.Kernels;
using Xunit;

namespace SelfSup.Engine.Tests.Kernels;

/// <summary>Worker pool: coverage of every index, nesting, exceptions.</summary>
public class WorkersTests
{
    [Fact]
    public void RunsEveryIndexOnce()
    {
        foreach (int count in new[] { 0, 1, 2, 3, 17, 1000 })
        {
            var hits = new int[count];
            Workers.For(count, i => Interlocked.Increment(ref hits[i]));
            Assert.All(hits, h => Assert.Equal(1, h));
        }
    }

    [Fact]
    public void NestedCallsRunInline()
    {
        var hits = new int[8 * 8];
        Workers.For(8, i => Workers.For(8, j => Interlocked.Increment(ref hits[i * 8 + j])));
        Assert.All(hits, h => Assert.Equal(1, h));
    }

    [Fact]
    public void PropagatesExceptions()
    {
        Assert.Throws<InvalidOperationException>(() =>
            Workers.For(64, i => { if (i == 37) throw new InvalidOperationException(); }));
        int n = 0;
        Workers.For(10, _ => Interlocked.Increment(ref n)); // still usable afterwards
        Assert.Equal(10, n);
    }

    [Fact]
    public void ThreadsIsAtLeastOne()
    {
        int saved = Workers.Threads;
        try
        {
            Workers.Threads = 0;
            Assert.Equal(1, Workers.Threads);
        }
        finally { Workers.Threads = saved; }
    }
}
