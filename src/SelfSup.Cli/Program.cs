namespace SelfSup.Cli;

public static class Program
{
    public static int Main(string[] args) => CommandLine.Run(args);
}
