using System.Diagnostics;
using System.Runtime.InteropServices;

namespace SelfSup.Distributed;

/// <summary>
/// Completes a non-blocking collective by polling MPI_Test (which also drives Open MPI's progress), with a deadline: a
/// rank that hangs or has died leaves the others waiting, and a blocking MPI call would wait for ever.
/// When a rank's wait passes <see cref="Timeout"/> it tells every other rank so with a note on a duplicate of the world
/// communicator, and a rank that finds such a note while itself waiting answers with its own at once; after a short
/// grace period the ranks that sent no note are the ones that never reached the collective, and the wait throws an
/// <see cref="MpiTimeoutException"/> naming them (the caller then aborts the job). Polling spins for the first
/// milliseconds, then yields the core to any other runnable thread (Open MPI's non-blocking collectives move only while
/// MPI_Test is called: sleeping between calls would halve a 45 MB all-reduce's bandwidth), and after a second, a wait for
/// a rank that is behind rather than data in flight, sleeps a millisecond at a time.
/// </summary>
sealed unsafe class CollectiveWait(int rank, int size, nint notes, TimeSpan timeout, Action<int, string> check)
{
    const int NoteTag = 7;
    /// <summary>How long a rank that timed out listens for the others' notes.</summary>
    static readonly TimeSpan Grace = TimeSpan.FromSeconds(3);
    static readonly long SpinTicks = Stopwatch.Frequency / 500, YieldTicks = Stopwatch.Frequency;   // 2 ms, 1 s

    readonly long* note = (long*)NativeMemory.Alloc(sizeof(long));      // the outgoing note stays valid until the job ends
    long collectives;                                                  // collectives called so far: the same on every rank

    public TimeSpan Timeout { get; } = timeout;

    /// <summary>Waits for <paramref name="request"/> (the collective <paramref name="call"/>) to complete.</summary>
    public void Complete(nint request, string call)
    {
        long polls = 0, sequence = ++collectives, start = Stopwatch.GetTimestamp(), deadline = start + (long)(Timeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            check(MpiNative.MPI_Test(ref request, out int done, null), "MPI_Test");
            if (done != 0) return;
            long now = Stopwatch.GetTimestamp(), waited = now - start;
            if (now >= deadline || (waited > SpinTicks && ++polls % 256 == 0 && NotePending())) throw GiveUp(ref request, call, sequence, start);
            if (waited < SpinTicks) Thread.SpinWait(64);
            else if (waited < YieldTicks) Thread.Yield();
            else Thread.Sleep(1);
        }
    }

    bool NotePending()
    {
        check(MpiNative.MPI_Iprobe(MpiNative.AnySource, NoteTag, notes, out int flag, null), "MPI_Iprobe");
        return flag != 0;
    }

    /// <summary>Tells the others this rank is waiting in collective <paramref name="sequence"/>, collects their notes for
    /// the grace period, and returns the exception naming the ranks that sent none.</summary>
    MpiTimeoutException GiveUp(ref nint request, string call, long sequence, long start)
    {
        *note = sequence;
        for (int r = 0; r < size; r++)
            if (r != rank) check(MpiNative.MPI_Isend(note, 1, MpiNative.Long, r, NoteTag, notes, out _), "MPI_Isend");
        var waiting = new bool[size];
        waiting[rank] = true;
        long until = Stopwatch.GetTimestamp() + (long)(Grace.TotalSeconds * Stopwatch.Frequency);
        while (waiting.Contains(false) && Stopwatch.GetTimestamp() < until)
        {
            MpiNative.MPI_Test(ref request, out _, null);                              // keeps the transports progressing
            MpiNative.Status status;
            check(MpiNative.MPI_Iprobe(MpiNative.AnySource, NoteTag, notes, out int flag, &status), "MPI_Iprobe");
            if (flag == 0) { Thread.Sleep(1); continue; }
            long theirs;
            check(MpiNative.MPI_Recv(&theirs, 1, MpiNative.Long, status.Source, NoteTag, notes, null), "MPI_Recv");
            waiting[status.Source] = true;
        }
        int[] missing = [.. Enumerable.Range(0, size).Where(r => !waiting[r])];
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        string who = missing.Length switch
        {
            0 => "every rank reached it, more than the timeout apart",
            1 => $"rank {missing[0]} never reached it (hung, dead or far behind the others)",
            _ => $"ranks {string.Join(", ", missing)} never reached it (hung, dead or far behind the others)",
        };
        return new MpiTimeoutException($"{call} #{sequence} gave up after {seconds:F0} s: {who}; " +
                                       $"ending the job (--rank-timeout sets the wait, now {Timeout.TotalSeconds:G} s)");
    }
}
