using SelfSup.Engine;

namespace SelfSup.Vision;

/// <summary>How a <see cref="MultiViewLoader"/> walks a dataset.</summary>
/// <param name="BatchSize">Samples per batch (B).</param>
/// <param name="Seed">Run seed: the epoch order and every sample's augmentation derive from it.</param>
/// <param name="Threads">Background threads that decode and augment (0: build each batch on the caller's thread).</param>
/// <param name="Prefetch">Most batches started or ready ahead of the one the caller holds (bounds memory).</param>
/// <param name="DropLast">Leave out the last, partial batch of an epoch.</param>
/// <param name="Shuffle">A fresh random order every epoch; otherwise 0, 1, 2, …</param>
/// <param name="Rank">This process's rank in a data-parallel job (0 alone).</param>
/// <param name="WorldSize">Processes in the job: a global batch is WorldSize × BatchSize samples of the epoch's order,
/// and rank r takes its r-th slice (a distributed sampler: disjoint shards, every rank the same number of batches).</param>
public sealed record LoaderOptions(int BatchSize, ulong Seed = 0, int Threads = 2, int Prefetch = 3,
    bool DropLast = true, bool Shuffle = true, int Rank = 0, int WorldSize = 1)
{
    /// <summary>Samples per step over all ranks.</summary>
    public int GlobalBatchSize => BatchSize * WorldSize;
}

/// <summary>
/// One batch: V views, each (B, C, H, W) with row b the view of sample <c>Indices[b]</c>, and the samples'
/// labels (B) (−1 for unlabelled data).
/// </summary>
public sealed record ViewBatch(Tensor[] Views, int[] Indices, IntTensor Labels)
{
    /// <summary>Samples in the batch (B).</summary>
    public int Count => Indices.Length;
    /// <summary>View <paramref name="view"/>: (B, C, H, W).</summary>
    public Tensor this[int view] => Views[view];
}
