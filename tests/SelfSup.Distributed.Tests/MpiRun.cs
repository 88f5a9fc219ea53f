using System.Diagnostics;
using Xunit;

namespace SelfSup.Distributed.Tests;

/// <summary>Launches a program under Open MPI's <c>mpirun</c> on this machine, as the tests' launcher: several ranks on
/// two cores (<c>--oversubscribe</c>), and as root when CI runs as root (Open MPI refuses root unless the two
/// OMPI_ALLOW_RUN_AS_ROOT variables say so — set here, never in users' commands).</summary>
static class MpiRun
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr, TimeSpan Elapsed);

    /// <summary>Open MPI gives each rank a pseudo-terminal, on which .NET's console writes keypad-mode escapes.</summary>
    static string WithoutTerminalCodes(string text) => System.Text.RegularExpressions.Regex.Replace(text, @"\x1b(\[[?0-9;]*[A-Za-z]|[=>])", "");

    public static Result Run(int ranks, string dll, TimeSpan timeout, params string[] args)
    {
        var info = new ProcessStartInfo("mpirun")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in new[] { "--oversubscribe", "-np", ranks.ToString(), "--mca", "btl", "self,vader,tcp" }) info.ArgumentList.Add(a);
        info.ArgumentList.Add(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet");
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, dll));
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1";
        info.Environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1";
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"mpirun -np {ranks} {dll} {string.Join(' ', args)} did not end within {timeout.TotalSeconds:F0} s");
        }
        process.WaitForExit();
        return new Result(process.ExitCode, WithoutTerminalCodes(stdout.Result), WithoutTerminalCodes(stderr.Result), clock.Elapsed);
    }
}
