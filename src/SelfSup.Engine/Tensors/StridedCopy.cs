namespace SelfSup.Engine;

/// <summary>Copies between tensors of one shape and any strides (the gather behind Contiguous()).</summary>
static class StridedCopy
{
    public static void Copy(Tensor src, Tensor dst)
    {
        int rank = src.Rank;
        if (rank == 0) { dst.Data[dst.Offset] = src.Data[src.Offset]; return; }
        int inner = src.Shape[rank - 1];
        int si = src.Strides[rank - 1], di = dst.Strides[rank - 1];
        int outer = src.Numel / Math.Max(inner, 1);
        if (inner == 0) return;
        var index = new int[rank - 1];
        var s = src.Data; var d = dst.Data;
        for (int o = 0; o < outer; o++)
        {
            int sp = src.Offset, dp = dst.Offset;
            for (int k = 0; k < rank - 1; k++) { sp += index[k] * src.Strides[k]; dp += index[k] * dst.Strides[k]; }
            if (si == 1 && di == 1) Array.Copy(s, sp, d, dp, inner);
            else for (int i = 0; i < inner; i++) d[dp + i * di] = s[sp + i * si];
            for (int k = rank - 2; k >= 0; k--)
            {
                if (++index[k] < src.Shape[k]) break;
                index[k] = 0;
            }
        }
    }
}
