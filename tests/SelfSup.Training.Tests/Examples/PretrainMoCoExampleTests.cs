using SelfSup.Engine;
using SelfSup.Engine.Backbones;
using SelfSup.Engine.IO;
using SelfSup.Methods;
using SelfSup.Vision;
using Xunit;

namespace SelfSup.Training.Tests;

/// <summary>examples/PretrainMoCo builds with the tests and runs end to end on a small generated image folder.</summary>
public class PretrainMoCoExampleTests
{
    /// <summary>DIR/train/{a,b} and DIR/test/{a,b}: 16×16 grey PNGs, class a bright on the left, class b on the right.</summary>
    static string MakeFolder()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"selfsup-example-{Guid.NewGuid():N}");
        var rng = new Random(5);
        foreach (var (split, count) in new[] { ("train", 48), ("test", 16) })
            foreach (var cls in new[] { "a", "b" })
            {
                Directory.CreateDirectory(Path.Combine(dir, split, cls));
                for (int i = 0; i < count / 2; i++)
                {
                    var pixels = new byte[16 * 16];
                    for (int y = 0; y < 16; y++)
                        for (int x = 0; x < 16; x++)
                            pixels[y * 16 + x] = (byte)(((x < 8) == (cls == "a") ? 180 : 40) + rng.Next(60));
                    File.WriteAllBytes(Path.Combine(dir, split, cls, $"{i}.png"), PngEncoder.Encode(new RawImage(16, 16, 1, pixels)));
                }
            }
        return dir;
    }

    [Fact]
    public void PretrainsMoCoV2OnAFolderAndSavesTheEncoderWithTorchvisionNames()
    {
        string dir = MakeFolder(), weights = Path.Combine(dir, "encoder.safetensors");
        try
        {
            Assert.Equal(0, PretrainMoCo.Program.Main([dir, "1", weights]));
            var saved = SafeTensors.Load(weights);
            var untrained = new ResNet(new ResNet.Options(18, ResNetStem.Cifar, InChannels: 1, Width: 16, NumClasses: 0), new Generator(0));
            Assert.Equal(untrained.StateDict().Keys.Order(), saved.Keys.Order());
            Assert.Contains("layer4.1.bn2.running_var", saved.Keys);
            // Trained: the stem's weights moved away from MoCo's initialisation with the same seed.
            var initial = MethodRecipes.Get("mocov2").Create(((MoCoOptions)MoCoRecipe.V2.Small().Method) with
            {
                Backbone = new ResNet.Options(18, ResNetStem.Cifar, InChannels: 1, Width: 16), QueueSize = 16 * 48, BnSplits = 4,
            }, new Generator(0)).Backbone.StateDict()["conv1.weight"].Float!.ToArray();
            var trained = saved["conv1.weight"].Float!.ToArray();
            Assert.Equal(initial.Length, trained.Length);
            Assert.True(initial.Zip(trained).Max(p => Math.Abs(p.First - p.Second)) > 1e-4f);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
