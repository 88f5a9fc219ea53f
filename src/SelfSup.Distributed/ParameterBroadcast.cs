using SelfSup.Engine;
using SelfSup.Engine.Nn;

namespace SelfSup.Distributed;

/// <summary>Makes every rank start from rank 0's state: every parameter and float buffer (BN's running statistics) of a
/// module, and its integer buffers (num_batches_tracked), broadcast from the root, in registration order.</summary>
public static class ParameterBroadcast
{
    public static void FromRoot(ICommunicator comm, Module module, int root = 0)
    {
        if (comm.Size == 1) return;
        foreach (var (_, p) in module.NamedParameters()) BroadcastTensor(comm, p, root);
        BuffersFromRoot(comm, module, root);
    }

    /// <summary>The buffers alone, as torch DDP's broadcast_buffers does: per-rank batch norm leaves each rank its own
    /// running statistics (training never reads them), and whatever evaluates the model in eval mode on several ranks must
    /// use rank 0's, the ones its checkpoint holds.</summary>
    public static void BuffersFromRoot(ICommunicator comm, Module module, int root = 0)
    {
        if (comm.Size == 1) return;
        foreach (var (name, entry) in module.NamedBuffers())
        {
            if (entry.Float is { } f) BroadcastTensor(comm, f, root);
            else if (entry.Int is { } i)
            {
                var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(i.Data.AsSpan());
                comm.Broadcast(bytes, root);
            }
            else throw new InvalidOperationException($"buffer {name} holds no tensor");
        }
    }

    static void BroadcastTensor(ICommunicator comm, Tensor t, int root)
    {
        if (!t.IsContiguous) throw new InvalidOperationException("a parameter or buffer must be contiguous to be broadcast");
        comm.Broadcast(t.Span, root);
    }
}
