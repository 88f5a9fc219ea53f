namespace SelfSup.Engine.Kernels;

// PLACEHOLDER: replaced by the kernels branch (fixed worker threads).
public static class Workers
{
    public static int Threads { get; set; } = Environment.ProcessorCount;

    public static void For(int count, Action<int> body)
    {
        if (count <= 1 || Threads <= 1) { for (int i = 0; i < count; i++) body(i); return; }
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = Threads }, body);
    }
}
