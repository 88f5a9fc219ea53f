using System.Globalization;
using SelfSup.Distributed;

namespace SelfSup.Distributed.Probe;

/// <summary>
/// Runs one collective on every rank of an <c>mpirun</c> job and prints, per rank, one line the tests parse:
/// <c>rank R of N: CASE v0 v1 …</c> (the values each rank holds afterwards). Each rank's input is a known function of
/// its rank, so the tests know the right answer. <c>dotnet SelfSup.Distributed.Probe.dll CASE</c> with CASE one of
/// allreduce, allgather, broadcast, barrier, fail-rank-1 (rank 1 throws; the job must end, not hang).
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        using var comm = new MpiCommunicator();
        string test = args.Length > 0 ? args[0] : "allreduce";
        float[] result;
        switch (test)
        {
            case "allreduce":
                result = [comm.Rank + 1f, 10f * (comm.Rank + 1), -comm.Rank];          // sums: N(N+1)/2, 10·that, −N(N−1)/2
                comm.AllReduceSum(result);
                break;
            case "allgather":
                result = new float[2 * comm.Size];
                comm.AllGather([comm.Rank, 100f + comm.Rank], result);
                break;
            case "broadcast":
                result = [comm.Rank == 0 ? 42f : -1f, comm.Rank == 0 ? 7f : -1f];
                comm.Broadcast(result, root: 0);
                var bytes = new byte[] { (byte)(comm.Rank == 0 ? 9 : 0) };
                comm.Broadcast(bytes, root: 0);
                result = [.. result, bytes[0]];
                break;
            case "barrier":
                comm.Barrier();
                result = [];
                break;
            case "fail-rank-1":
                if (comm.Rank == 1)
                {
                    Console.Error.WriteLine("rank 1: failing on purpose");
                    comm.Abort(3);
                }
                comm.Barrier();                                                     // rank 0 waits here
                result = [];
                break;
            default:
                Console.Error.WriteLine($"unknown case '{test}'");
                return 2;
        }
        Console.WriteLine($"rank {comm.Rank} of {comm.Size}: {test} {string.Join(' ', result.Select(v => v.ToString(CultureInfo.InvariantCulture)))}".TrimEnd());
        return 0;
    }
}
