namespace SelfSup.Cli;

/// <summary>The `selfsup` executable: everything happens in <see cref="CommandLine.Run"/>.</summary>
public static class Program
{
    public static int Main(string[] args) => CommandLine.Run(args);
}
