namespace SelfSup.Engine.Nn;

/// <summary>
/// Batch normalisation (Ioffe &amp; Szegedy 2015) over the channel dim 1: in training it normalises with the batch's
/// statistics, updates running_mean/running_var (momentum 0.1, unbiased variance, as torch) and counts
/// num_batches_tracked; in eval it uses the running statistics. Parameters weight (1s) and bias (0s) unless not affine.
/// </summary>
public abstract class BatchNorm : UnaryModule
{
    public int NumFeatures { get; }
    public float Eps { get; }
    public float Momentum { get; }
    public Tensor? Weight { get; }
    public Tensor? Bias { get; }
    public Tensor RunningMean { get; }
    public Tensor RunningVar { get; }
    /// <summary>Training forwards seen (int64 in torch's state dict).</summary>
    public IntTensor NumBatchesTracked { get; }
    /// <summary>The processes whose batches this layer normalises over together in training (SyncBN, <c>--sync-bn</c>);
    /// null: this process's batch alone.</summary>
    public IProcessGroup? Group { get; set; }

    protected BatchNorm(int numFeatures, float eps, float momentum, bool affine)
    {
        NumFeatures = numFeatures; Eps = eps; Momentum = momentum;
        if (affine)
        {
            Weight = Parameter("weight", Tensor.Ones(numFeatures));
            Bias = Parameter("bias", Tensor.Zeros(numFeatures));
        }
        RunningMean = Buffer("running_mean", Tensor.Zeros(numFeatures));
        RunningVar = Buffer("running_var", Tensor.Ones(numFeatures));
        NumBatchesTracked = Buffer("num_batches_tracked", IntTensor.Zeros([]));
    }

    /// <summary>Ranks this layer accepts (2/3 for 1-d, 4 for 2-d).</summary>
    protected abstract bool AcceptsRank(int rank);

    public override Tensor Forward(Tensor x)
    {
        Track(x);
        return Ops.BatchNorm(x, Weight, Bias, RunningMean, RunningVar, Training, Momentum, Eps, Group);
    }

    /// <summary>relu(bn(x)) as one fused op (<see cref="Ops.BatchNormRelu"/>): the same values and bookkeeping as
    /// <see cref="Forward"/> followed by torchvision's in-place ReLU, in one pass over the activations.</summary>
    public Tensor ForwardRelu(Tensor x)
    {
        Track(x);
        return Ops.BatchNormRelu(x, Weight, Bias, RunningMean, RunningVar, Training, Momentum, Eps, Group);
    }

    /// <summary>Checks the input's shape and, in training, counts the batch (num_batches_tracked).</summary>
    void Track(Tensor x)
    {
        if (!AcceptsRank(x.Rank) || x.Shape[1] != NumFeatures)
            throw new ArgumentException($"{GetType().Name}({NumFeatures}) got input {ShapeUtil.Format(x.Shape)}");
        if (Training) NumBatchesTracked.Data[0]++;
    }
}

/// <summary>Batch norm over (N, C) or (N, C, L): statistics per channel over N (and L).</summary>
public sealed class BatchNorm1d(int numFeatures, float eps = 1e-5f, float momentum = 0.1f, bool affine = true)
    : BatchNorm(numFeatures, eps, momentum, affine)
{
    protected override bool AcceptsRank(int rank) => rank is 2 or 3;
}

/// <summary>Batch norm over (N, C, H, W): statistics per channel over N, H, W.</summary>
public sealed class BatchNorm2d(int numFeatures, float eps = 1e-5f, float momentum = 0.1f, bool affine = true)
    : BatchNorm(numFeatures, eps, momentum, affine)
{
    protected override bool AcceptsRank(int rank) => rank == 4;
}
