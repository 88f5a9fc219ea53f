namespace SelfSup.Vision;

/// <summary>
/// The <c>--data SPEC</c> of the command line: <c>fashion-mnist</c> (Debian's dataset-fashion-mnist),
/// <c>mnist-idx:DIR</c>, <c>cifar10:DIR</c> (binary batches) or <c>folder:DIR</c> (JPEG/PNG images).
/// </summary>
public static class DataSpec
{
    const string Expected = "expected fashion-mnist, mnist-idx:DIR, cifar10:DIR or folder:DIR";

    /// <summary>Opens the splits SPEC names; <paramref name="policy"/> applies to image folders' unreadable files.</summary>
    public static DataSplits Parse(string spec, BadFilePolicy policy = BadFilePolicy.Skip)
    {
        if (spec == "fashion-mnist") return MnistIdx.FashionMnist();
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
