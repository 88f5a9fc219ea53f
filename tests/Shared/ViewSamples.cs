using SelfSup.Engine;
using SelfSup.Vision;
using SelfSup.Vision.Transforms;

namespace SelfSup.Testing;

/// <summary>Random images and the views a transform makes of them, for the transform and recipe tests.</summary>
public static class ViewSamples
{
    /// <summary>A w×h image of <paramref name="c"/> channels with uniformly random samples.</summary>
    public static RawImage RandomImage(int w, int h, int c, ulong seed)
    {
        var rng = new Generator(seed);
        var px = new byte[w * h * c];
        for (int i = 0; i < px.Length; i++) px[i] = (byte)rng.NextInt(256);
        return new RawImage(w, h, c, px);
    }

    /// <summary>The view <paramref name="t"/> makes of <paramref name="image"/> with generator seed <paramref name="seed"/>, (C, H, W).</summary>
    public static float[] View(IViewTransform t, RawImage image, ulong seed)
    {
        var dst = new float[t.Channels * t.Height * t.Width];
        t.Apply(image, new Generator(seed), dst);
        return dst;
    }
}
