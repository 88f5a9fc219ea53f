namespace SelfSup.Cli;

static class BenchCommand
{
    public static int Run(string[] args)
    {
        Console.Error.WriteLine("bench: no workloads yet");
        return 0;
    }
}
