namespace SelfSup.Engine;

/// <summary>Shape arithmetic: element counts, dim normalisation, broadcasting.</summary>
public static class ShapeUtil
{
    public static int Numel(ReadOnlySpan<int> shape)
    {
        long n = 1;
        foreach (var s in shape) n *= s;
        if (n > int.MaxValue) throw new ArgumentException($"shape {Format(shape)} has more than 2^31 elements");
        return (int)n;
    }

    /// <summary>Normalises a possibly negative dim against <paramref name="rank"/>.</summary>
    public static int Dim(int dim, int rank)
    {
        int d = dim < 0 ? dim + rank : dim;
        if ((uint)d >= (uint)Math.Max(rank, 1) && !(rank == 0 && d == 0))
            throw new ArgumentException($"dim {dim} out of range for a tensor of rank {rank}");
        return d;
    }

    public static string Format(ReadOnlySpan<int> shape) => "(" + string.Join(", ", shape.ToArray()) + ")";

    public static bool Equal(ReadOnlySpan<int> a, ReadOnlySpan<int> b) => a.SequenceEqual(b);

    /// <summary>NumPy broadcasting: align trailing dims; sizes must match or be 1.</summary>
    public static int[] Broadcast(int[] a, int[] b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var shape = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i - (rank - a.Length) >= 0 ? a[i - (rank - a.Length)] : 1;
            int db = i - (rank - b.Length) >= 0 ? b[i - (rank - b.Length)] : 1;
            if (da != db && da != 1 && db != 1)
                throw new ArgumentException($"shapes {Format(a)} and {Format(b)} cannot be broadcast");
            shape[i] = da == 1 ? db : da;
        }
        return shape;
    }

    /// <summary>Resolves one -1 entry of a requested shape against an element count.</summary>
    public static int[] Infer(int[] shape, int numel)
    {
        var result = (int[])shape.Clone();
        int unknown = Array.IndexOf(result, -1);
        long known = 1;
        for (int i = 0; i < result.Length; i++) if (i != unknown) known *= result[i];
        if (unknown >= 0)
        {
            if (known == 0 || numel % known != 0) throw new ArgumentException($"cannot reshape {numel} elements to {Format(shape)}");
            result[unknown] = (int)(numel / known);
        }
        else if (known != numel) throw new ArgumentException($"cannot reshape {numel} elements to {Format(shape)}");
        return result;
    }
}
