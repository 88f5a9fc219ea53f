using System.Text;
using SelfSup.Testing;
using Xunit;
using Xunit.Abstractions;

namespace SelfSup.Training.Tests;

/// <summary>Mutation fuzzing of `--config FILE.yaml` (see <see cref="Fuzz"/>): every mutant is either a one-line error
/// naming the file or options that format back the same way on a second read.</summary>
public sealed class ConfigFileFuzzTests(ITestOutputHelper output)
{
    static readonly string[] Seeds =
    [
        "method: simclr\ndata: fashion-mnist\nepochs: 3\nbatch-size: 256\nlr: 0.3\n",
        "# a comment\nmethod: mocov2\nwidth: 16   # narrow\nknn-every: 0\nseed: 7\nstem: null\n",
        ConfigFile.Format(new TrainOptions { Method = "byol", Epochs = 5, Out = "runs/x" }),
        "data: 'folder:/tmp/a b'\ntrain-limit: 1000\nhead-layers: 3\ncheckpoint-every-steps: ~\n",
    ];

    [Fact, Trait("Category", "Fuzz")]
    public void Config_files_survive_mutations() =>
        Fuzz.Run(new Fuzz.Limits("config", [typeof(ArgumentException), typeof(InvalidDataException)],
                BytesPerInputByte: 4096, FixedBytes: 16 << 20, Timeout: TimeSpan.FromSeconds(10)),
            [.. Seeds.Select(Encoding.UTF8.GetBytes)],
            bytes => ConfigFile.Format(ConfigFile.Load(Encoding.UTF8.GetString(bytes), "run.yaml")),
            Fuzz.Cases(400), seed: 3, output);
}
