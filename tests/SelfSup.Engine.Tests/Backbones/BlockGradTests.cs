using SelfSup.Engine;
using SelfSup.Engine.Backbones;
using Xunit;

namespace SelfSup.Engine.Tests;

/// <summary>Central-difference checks through whole blocks: the modules' wiring of views (qkv split, head merge,
/// shortcut) must carry gradients exactly, not just shapes.</summary>
public class BlockGradTests
{
    [Fact]
    public void Vit_block_backward_matches_central_differences()
    {
        var block = new VitBlock(4, 2, 8, new Generator(1));
        GradCheck.Assert(x => block.Forward(x[0]), GradCheck.RandomInputs([[2, 3, 4]]));
    }

    [Fact]
    public void Bottleneck_with_downsample_backward_matches_central_differences()
    {
        var block = new Bottleneck(3, 2, 2, new Generator(1));                  // 3 → 8 channels, stride 2: has a downsample
        block.Eval();                                                           // running statistics: a smooth function of x
        GradCheck.Assert(x => block.Forward(x[0]), GradCheck.RandomInputs([[2, 3, 4, 4]]));
    }
}
