namespace SelfSup.Cli;

/// <summary>`selfsup methods`: each method with its paper, summary and default recipes.</summary>
static class MethodsCommand
{
    public static int Run(string[] args)
    {
        if (args.Length > 0) throw new UsageException($"methods: takes no arguments, got '{args[0]}'");
        foreach (var m in Training.MethodRecipes.All)
        {
            Console.WriteLine($"{m.Name}  —  {m.Citation}");
            Console.WriteLine($"    {m.Summary}");
            Console.WriteLine($"    quick preset (default at ≤ 64 px): {m.Quick()}");
            Console.WriteLine($"    small preset (the CIFAR code's schedule): {m.Small()}");
            Console.WriteLine($"    paper preset (default above 64 px): {m.Paper()}");
        }
        return 0;
    }
}
