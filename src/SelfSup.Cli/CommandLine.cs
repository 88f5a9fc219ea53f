namespace SelfSup.Cli;

/// <summary>Dispatches `selfsup COMMAND ...`; every failure is one line on stderr and a non-zero exit.</summary>
public static class CommandLine
{
    const string Usage = """
        selfsup — self-supervised visual representation learning on the CPU

        usage: selfsup COMMAND [options]

        commands:
          train --method NAME --data SPEC [--backbone resnet18|resnet34|resnet50|vit-tiny|vit-small] [--width W] [--stem cifar|imagenet]
                [--preset small|paper] [--epochs N] [--batch-size N] [--lr X] [--head-layers 2|3] [--out DIR] [--seed N]
                [--config FILE.yaml] [--resume [auto|FILE]] [--checkpoint-every-steps N]
                [--knn-every N] [--knn-train-limit N] [--train-limit N] [--loader-threads N] [--skip-nonfinite N] [--json]
                                                         pretrain an encoder (progress on stderr; --json: result on stdout)
                --config: any of these options as 'key: value' lines (batch-size: 256); flags override the file
                --resume: continue the newest valid checkpoint in --out made with the same options (or FILE)
                --checkpoint-every-steps: also save last.safetensors every N steps (default: every ~10 minutes)
                --skip-nonfinite: skip up to N batches whose loss or gradients are NaN/inf (default 0: stop at the first)
          eval knn    --checkpoint FILE --data SPEC [--k 200] [--temperature 0.1] [--label-fraction F] [--probe-from-head-layer K] [--json]
          eval linear --checkpoint FILE --data SPEC [--epochs 30] [--lr 0.1] [--label-fraction F] [--probe-from-head-layer K] [--json]
          eval finetune --checkpoint FILE --data SPEC --label-fraction F [--from-scratch] [--epochs N] [--lr 0.05] [--seed 0] [--json]
                                                         the whole encoder and a linear head on a class-balanced F of the labels
          export --checkpoint FILE --out FILE.safetensors|FILE.onnx [--format safetensors|onnx]
                                                         the encoder alone: torchvision/timm key names (ONNX: ResNets)
          embed --checkpoint FILE --data SPEC --out FILE.safetensors|FILE.csv [--split train|test] [--normalize]
                                                         backbone features of every image, in dataset order
          neighbours  --checkpoint FILE --data SPEC --out grid.png [--queries 8] [--k 8] [--train-limit N]
                                                         PNG grid of test queries and their nearest training images
          methods                                        the methods, their papers and default recipes
          bench [WORKLOAD ...] [--json] [--threads N]   run speed workloads (see BENCHMARKS in the README)
          data inspect --data SPEC [--json] [--strict]   splits, counts, classes, image sizes, bad files
          --help                                         this text

        SPEC: fashion-mnist | mnist-idx:DIR | cifar10:DIR | folder:DIR

        options for every command:
          --threads N    worker threads for the kernels (default: all cores)
        """;

    /// <summary>Applies and removes a global `--threads N` (kernel worker threads; default: all cores).</summary>
    static string[] TakeThreads(string[] args)
    {
        int at = Array.IndexOf(args, "--threads");
        if (at < 0 || args[0] == "bench") return args;                     // bench reads --threads itself
        if (Array.IndexOf(args, "--threads", at + 1) > at) throw new UsageException("--threads is given twice");
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
                "train" => TrainCommand.Run(args[1..]),
                "eval" => EvalCommand.Run(args[1..]),
                "neighbours" => NeighboursCommand.Run(args[1..]),
                "methods" => MethodsCommand.Run(args[1..]),
                "bench" => BenchCommand.Run(args[1..]),
                "data" => DataCommand.Run(args[1..]),
                "export" => ExportCommand.Run(args[1..]),
                "embed" => EmbedCommand.Run(args[1..]),
                _ => throw new UsageException($"unknown command '{args[0]}' (try 'selfsup --help')"),
            };
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"selfsup: {OneLine(e.Message)}");
            return 2;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or UnauthorizedAccessException
                                       or InvalidOperationException or KeyNotFoundException or DllNotFoundException or NotSupportedException)
        {
            Console.Error.WriteLine($"selfsup: {OneLine(e.Message)}");
            return 1;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Bad input is reported above by the readers' own errors; anything else is a bug in SelfSup. Still one line
            // (no stack trace for the user), with what a bug report needs; SELFSUP_DEBUG=1 prints the trace too.
            Console.Error.WriteLine($"selfsup: internal error: {e.GetType().Name}: {OneLine(e.Message)} " +
                                    "(a bug; please report it with the command; SELFSUP_DEBUG=1 shows the stack trace)");
            if (Environment.GetEnvironmentVariable("SELFSUP_DEBUG") == "1") Console.Error.WriteLine(e);
            return InternalErrorExitCode;
        }
    }

    /// <summary>Exit code of an internal error (sysexits' EX_SOFTWARE): not bad input (1) or a usage mistake (2).</summary>
    public const int InternalErrorExitCode = 70;

    /// <summary>A message as one line: a line break from anywhere (a file's text quoted in it) cannot split the report.</summary>
    static string OneLine(string message) => message.ReplaceLineEndings(" ");
}

/// <summary>A command-line mistake by the user: reported as one line, exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
