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
            Console.WriteLine($"    paper preset: {m.Paper().Optimizer}");
            Console.WriteLine($"    small preset: {m.Small().Optimizer}");
        }
        return 0;
    }
}
