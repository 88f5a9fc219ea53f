namespace SelfSup.Vision;

/// <summary>
/// The side and channel count a run's views are built for, read off a sample of the dataset rather than its first image:
/// in a folder, one odd file sorted first (a 1×1 icon, a 5000×1 banner) must not decide that a run trains at 1 px or at
/// 224 px. The side is the median of the sampled images' longer sides (half the sample would have to be odd to move it),
/// the channel count the most common one (ties: the larger). Up to <see cref="SampleSize"/> images, evenly spaced over the
/// dataset, so the choice is the same on every run; data sets of one size (IDX, CIFAR) give that size exactly. Folder
/// images are measured from their headers, so a sample of 100-megapixel photos costs no pixel memory.
/// </summary>
public static class ImageSizeSurvey
{
    /// <summary>Images read at most.</summary>
    public const int SampleSize = 64;

    /// <summary>What the survey found: the views' side and channels, and a phrase for the run's log.</summary>
    public sealed record Result(int Side, int Channels, int Sampled)
    {
        public string Describe() => Sampled == 1 ? $"{Side} px" : $"{Side} px, the median longer side of {Sampled} sampled images";
    }

    public static Result Of(IImageDataset data)
    {
        int n = Math.Min(SampleSize, data.Count);
        if (n == 0) throw new InvalidDataException($"{data.Name}: no images");
        var sides = new int[n];
        var channels = new Dictionary<int, int>();
        for (int i = 0; i < n; i++)
        {
            var image = data.Shape((int)((long)i * data.Count / n));       // headers only, where the data set can
            sides[i] = Math.Max(image.Width, image.Height);
            channels[image.Channels] = channels.GetValueOrDefault(image.Channels) + 1;
        }
        Array.Sort(sides);
        int side = sides[(n - 1) / 2];                                     // the lower median: a size that occurs
        int common = channels.OrderByDescending(kv => kv.Value).ThenByDescending(kv => kv.Key).First().Key;
        return new Result(side, common, n);
    }
}
