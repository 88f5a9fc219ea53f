using Xunit;

namespace SelfSup.Vision.Tests.Datasets;

public class FashionMnistDatasetTests
{
    [Fact]
    public void Debian_Fashion_MNIST_has_60000_and_10000_images_with_known_first_labels()
    {
        // scripts/setup.sh (run by the test command) installs dataset-fashion-mnist: its absence is a failure, not a pass.
        Assert.True(Directory.Exists(MnistIdx.FashionMnistDirectory), $"{MnistIdx.FashionMnistDirectory} is absent (scripts/setup.sh installs it)");
        var splits = DataSpec.Parse("fashion-mnist");
        Assert.Equal(60000, splits.Train.Count);
        Assert.Equal(10000, splits.Test!.Count);
        Assert.Equal("Ankle boot", splits.Train.ClassNames[splits.Train.Label(0)]);   // the first training image is label 9
        Assert.Equal(9, splits.Test.Label(0));
        Assert.Equal(2, splits.Test.Label(1));                                        // Pullover
        var image = splits.Train.Image(0);
        Assert.Equal((28, 28, 1), (image.Width, image.Height, image.Channels));
        Assert.Equal(0, image[0, 0, 0]);                                              // black background corner
        Assert.InRange(image.Pixels.Count(p => p > 0), 200, 700);                    // a shoe covers part of the frame
        var summary = DatasetSummary.Of(splits.Train);
        Assert.All(summary.Classes, c => Assert.Equal(6000, c.Count));               // balanced classes
    }

    [Fact]
    public void Missing_Fashion_MNIST_says_how_to_install_it()
    {
        var e = Assert.Throws<DirectoryNotFoundException>(() => MnistIdx.FashionMnist("/nonexistent/fashion-mnist"));
        Assert.Equal("Fashion-MNIST not found at /nonexistent/fashion-mnist (apt-get install dataset-fashion-mnist)", e.Message);
    }
}
