using System.Diagnostics;
using Xunit;

namespace SelfSup.Training.Tests;

/// <summary>Runs the `selfsup` CLI (selfsup.dll, copied beside the tests by the project reference) as a separate process,
/// as a user would, and returns its exit code and output.</summary>
static class CliRun
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static Result Run(params string[] args)
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "selfsup.dll");
        Assert.True(File.Exists(cli), $"{cli} is missing");
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false,
        };
        info.ArgumentList.Add(cli);
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"selfsup {string.Join(' ', args)} did not end within 2 minutes");
        }
        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }
}
