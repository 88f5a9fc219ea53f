namespace SelfSup.Engine;

/// <summary>
/// A seeded random generator (xoshiro256**, Blackman &amp; Vigna 2018). Every random choice in SelfSup
/// takes one explicitly, and <see cref="Derive"/> gives independent streams per (seed, epoch, sample),
/// so results never depend on thread count or call order across threads.
/// </summary>
public sealed class Generator
{
    ulong s0, s1, s2, s3;
    double? spareNormal;

    public Generator(ulong seed) => Reseed(seed);

    /// <summary>A generator for a stream identified by a run seed and any number of keys (epoch, sample index...).</summary>
    public static Generator Derive(ulong seed, params long[] keys)
    {
        ulong h = SplitMix(seed ^ 0x5EED5EED5EED5EEDUL);
        foreach (var k in keys) h = SplitMix(h ^ (ulong)k);
        return new Generator(h);
    }

    public void Reseed(ulong seed)
    {
        ulong x = seed;
        s0 = SplitMix(ref x); s1 = SplitMix(ref x); s2 = SplitMix(ref x); s3 = SplitMix(ref x);
        spareNormal = null;
    }

    /// <summary>The full state, for checkpoints.</summary>
    public ulong[] State => [s0, s1, s2, s3];

    public void Restore(ReadOnlySpan<ulong> state)
    {
        if (state.Length != 4) throw new ArgumentException("generator state has 4 words");
        (s0, s1, s2, s3) = (state[0], state[1], state[2], state[3]);
        spareNormal = null;
    }

    public ulong NextULong()
    {
        ulong result = ulong.RotateLeft(s1 * 5, 7) * 9;
        ulong t = s1 << 17;
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3;
        s2 ^= t; s3 = ulong.RotateLeft(s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1) with 53 bits.</summary>
    public double NextDouble() => (NextULong() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [0, 1) with 24 bits.</summary>
    public float NextFloat() => (NextULong() >> 40) * (1f / (1 << 24));

    public float Uniform(float low, float high) => low + (high - low) * NextFloat();

    /// <summary>Uniform integer in [0, n) without modulo bias (Lemire 2019).</summary>
    public int NextInt(int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n));
        ulong m = (ulong)(uint)NextULong() * (ulong)n;
        if ((uint)m < (uint)n)
        {
            uint threshold = (uint)-n % (uint)n;
            while ((uint)m < threshold) m = (ulong)(uint)NextULong() * (ulong)n;
        }
        return (int)(m >> 32);
    }

    /// <summary>Standard normal (Box–Muller; the second value is kept for the next call).</summary>
    public double NextNormal()
    {
        if (spareNormal is double spare) { spareNormal = null; return spare; }
        double u1 = 1.0 - NextDouble(), u2 = NextDouble();
        double r = Math.Sqrt(-2.0 * Math.Log(u1));
        spareNormal = r * Math.Sin(2 * Math.PI * u2);
        return r * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>A random permutation of 0..n-1 (Fisher–Yates).</summary>
    public int[] Permutation(int n)
    {
        var p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) { int j = NextInt(i + 1); (p[i], p[j]) = (p[j], p[i]); }
        return p;
    }

    static ulong SplitMix(ref ulong x) { x += 0x9E3779B97F4A7C15UL; return SplitMix(x); }

    static ulong SplitMix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
