namespace SelfSup.Vision;

/// <summary>
/// The <c>--data SPEC</c> of the command line: <c>fashion-mnist</c> (Debian's dataset-fashion-mnist),
/// <c>mnist-idx:DIR</c>, <c>cifar10:DIR</c> (binary batches) or <c>folder:DIR</c> (JPEG/PNG images).
/// <c>fashion-mnist-val</c> is Fashion-MNIST for tuning without the test split: the training split's first 50 000 images
/// to train on, its last 10 000 (with their labels) in the test split's place.
/// </summary>
public static class DataSpec
{
    const string Expected = "expected fashion-mnist, fashion-mnist-val, mnist-idx:DIR, cifar10:DIR or folder:DIR";

    /// <summary>Images of Fashion-MNIST's training split held out as fashion-mnist-val's validation split.</summary>
    public const int ValidationImages = 10_000;

    /// <summary>Opens the splits SPEC names; <paramref name="policy"/> applies to image folders' unreadable files.</summary>
    public static DataSplits Parse(string spec, BadFilePolicy policy = BadFilePolicy.Skip)
    {
        if (spec == "fashion-mnist") return MnistIdx.FashionMnist();
        if (spec == "fashion-mnist-val")
        {
            var train = MnistIdx.FashionMnist().Train;
            int kept = train.Count - ValidationImages;
            return new DataSplits(ImageSubset.Range(train, 0, kept), ImageSubset.Range(train, kept, ValidationImages));
        }
        int colon = spec.IndexOf(':');
        if (colon < 0) throw new ArgumentException($"unknown data spec '{spec}' ({Expected})");
        string scheme = spec[..colon], dir = spec[(colon + 1)..];
        if (scheme is not ("mnist-idx" or "cifar10" or "folder"))
            throw new ArgumentException($"unknown data scheme '{scheme}' in '{spec}' ({Expected})");
        if (dir.Length == 0) throw new ArgumentException($"data spec '{spec}' names no folder ({Expected})");
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"{scheme}: folder not found: {dir}");
        return scheme switch
        {
            "mnist-idx" => MnistIdx.Open(dir, System.IO.Path.GetFileName(System.IO.Path.GetFullPath(dir).TrimEnd('/'))),
            "cifar10" => Cifar10Binary.Open(dir),
            _ => ImageFolder.Open(dir, policy),
        };
    }
}
