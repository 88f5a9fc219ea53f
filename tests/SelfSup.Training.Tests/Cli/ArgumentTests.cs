using Xunit;

namespace SelfSup.Training.Tests;

/// <summary>Command-line arguments a user gets wrong are one line and exit code 2, never a silent choice.</summary>
public class ArgumentTests
{
    [Theory]
    [InlineData("train", "--data", "fashion-mnist", "--epochs", "3", "--epochs", "5")]
    [InlineData("eval", "knn", "--checkpoint", "a.safetensors", "--k", "5", "--k", "7", "--data", "fashion-mnist")]
    [InlineData("train", "--data", "fashion-mnist", "--json", "--json")]
    public void A_repeated_option_is_an_error_naming_it(params string[] args)
    {
        var r = CliRun.Run(args);
        Assert.Equal(2, r.ExitCode);
        var repeated = args.GroupBy(a => a).First(g => g.Key.StartsWith("--", StringComparison.Ordinal) && g.Count() > 1).Key;
        Assert.Equal($"{repeated} is given twice", System.Text.RegularExpressions.Regex.Match(r.Stderr, "--[a-z0-9-]+ is given twice").Value);
        Assert.Single(r.Stderr.Trim().Split('\n'));
    }

    [Fact]
    public void A_repeated_threads_option_is_an_error_not_an_unknown_option()
    {
        var r = CliRun.Run("train", "--data", "fashion-mnist", "--threads", "1", "--threads", "2");
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("selfsup: --threads is given twice", r.Stderr.Trim());
    }
}
