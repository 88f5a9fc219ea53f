namespace SelfSup.Cli;

/// <summary>Dispatches `selfsup COMMAND ...`; every failure is one line on stderr and a non-zero exit.</summary>
public static class CommandLine
{
    const string Usage = """
        selfsup — self-supervised visual representation learning on the CPU

        usage: selfsup COMMAND [options]

        commands:
          bench [WORKLOAD ...] [--json] [--threads N]   run speed workloads (see BENCHMARKS in the README)
          data inspect --data SPEC [--json] [--strict]   splits, counts, classes, image sizes, bad files
          --help                                         this text

        options for every command:
          --threads N    worker threads for the kernels (default: all cores)
        """;

    /// <summary>Applies and removes a global `--threads N` (kernel worker threads; default: all cores).</summary>
    static string[] TakeThreads(string[] args)
    {
        int at = Array.IndexOf(args, "--threads");
        if (at < 0 || args[0] == "bench") return args;                     // bench reads --threads itself
        if (at + 1 >= args.Length || !int.TryParse(args[at + 1], out int threads) || threads < 1)
            throw new UsageException("--threads needs a positive integer");
        SelfSup.Engine.Kernels.Workers.Threads = threads;
        return [.. args[..at], .. args[(at + 2)..]];
    }

    public static int Run(string[] args)
    {
        if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
        {
            Console.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        try
        {
            args = TakeThreads(args);
            return args[0] switch
            {
                "bench" => BenchCommand.Run(args[1..]),
                "data" => DataCommand.Run(args[1..]),
                _ => throw new UsageException($"unknown command '{args[0]}' (try 'selfsup --help')"),
            };
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"selfsup: {e.Message}");
            return 2;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"selfsup: {e.Message}");
            return 1;
        }
    }
}

/// <summary>A command-line mistake by the user: reported as one line, exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
