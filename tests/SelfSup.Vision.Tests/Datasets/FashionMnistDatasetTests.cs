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
    public void The_validation_spec_holds_out_the_last_10000_training_images_in_place_of_the_test_split()
    {
        var full = DataSpec.Parse("fashion-mnist").Train;
        var splits = DataSpec.Parse("fashion-mnist-val");
        Assert.Equal(50000, splits.Train.Count);
        Assert.Equal(10000, splits.Test!.Count);
        foreach (int i in new[] { 0, 1234, 9999 })                                    // the held-out images, labels included
        {
            Assert.Equal(full.Image(50000 + i).Pixels.ToArray(), splits.Test.Image(i).Pixels.ToArray());
            Assert.Equal(full.Label(50000 + i), splits.Test.Label(i));
        }
        Assert.Equal(full.Image(49999).Pixels.ToArray(), splits.Train.Image(49999).Pixels.ToArray());
        Assert.Equal("fashion-mnist/train[50000:60000]", splits.Test.Name);
    }

    [Fact]
    public void Missing_Fashion_MNIST_says_how_to_install_it()
    {
        var e = Assert.Throws<DirectoryNotFoundException>(() => MnistIdx.FashionMnist("/nonexistent/fashion-mnist"));
        Assert.Equal("Fashion-MNIST not found at /nonexistent/fashion-mnist (apt-get install dataset-fashion-mnist)", e.Message);
    }
}
