using SelfSup.Vision;

namespace SelfSup.Cli;

/// <summary>
/// `selfsup data inspect --data SPEC [--json] [--strict] [--threads N]`: splits, image counts, classes with counts,
/// image sizes seen and bad files. Every image of a folder is decoded, so this is also how to find corrupt files.
/// The report goes to stdout (one JSON object with --json); warnings go to stderr.
/// </summary>
static class DataCommand
{
    public static int Run(string[] args)
    {
        if (args.Length == 0 || args[0] != "inspect")
            throw new UsageException("usage: selfsup data inspect --data SPEC [--json] [--strict] [--threads N]");
        string? spec = null;
        bool json = false, strict = false;
        int threads = 2;
        for (int i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--json": json = true; break;
                case "--strict": strict = true; break;
                case "--data":
                    if (i + 1 >= args.Length) throw new UsageException("--data needs a SPEC (fashion-mnist, mnist-idx:DIR, cifar10:DIR, folder:DIR)");
                    spec = args[++i];
                    break;
                case "--threads":
                    if (i + 1 >= args.Length || !int.TryParse(args[++i], out threads) || threads < 1)
                        throw new UsageException("--threads needs a positive integer");
                    break;
                default: throw new UsageException($"data inspect: unknown option '{args[i]}'");
            }
        }
        if (spec is null) throw new UsageException("data inspect needs --data SPEC");

        var splits = DataSpec.Parse(spec, strict ? BadFilePolicy.Fail : BadFilePolicy.Skip);
        var summaries = new[] { splits.Train, splits.Test }.OfType<IImageDataset>()
            .Select(s => DatasetSummary.Of(s, threads)).ToArray();
        Console.Write(json ? DatasetSummary.Json(spec, summaries) + "\n" : DatasetSummary.Text(spec, summaries));
        return 0;
    }
}
