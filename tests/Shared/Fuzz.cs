using System.Diagnostics;
using Xunit.Abstractions;

namespace SelfSup.Testing;

/// <summary>
/// Deterministic, seeded mutation fuzzing of a reader (decoder, file parser). Each case mutates one of the
/// reader's seed inputs (bit flips, byte sets to boundary values, truncation, insertion, deletion, duplicated
/// chunks) and asserts, on one long-lived reading thread:
/// <list type="bullet">
/// <item>no unhandled exception: the reader either returns or throws one of the expected error types, with a
/// one-line message;</item>
/// <item>a time bound (a hang is a failure, reported with the case's seed);</item>
/// <item>a managed allocation bound proportional to the input (<c>a·bytes + b</c>, the caller's figures);</item>
/// <item>determinism: a second read of the same bytes, after a seed input was read on the same thread, gives the
/// same fingerprint or the same error message (a reader's result must not depend on what it read before).</item>
/// </list>
/// Tests using it carry <c>[Trait("Category", "Fuzz")]</c>; the normal run takes <c>ciCases</c> per reader and
/// the environment variable <c>SELFSUP_FUZZ_CASES</c> raises it (e.g. 1000 for the opt-in run:
/// <c>SELFSUP_FUZZ_CASES=1000 dotnet test --filter Category=Fuzz</c>). A summary line per reader (cases,
/// errors, results, crashes, hangs, peak allocation) goes to the test output and, when <c>SELFSUP_FUZZ_REPORT</c>
/// names a file, is appended there.
/// </summary>
public static class Fuzz
{
    /// <summary>The case count: <c>SELFSUP_FUZZ_CASES</c> when set, else <paramref name="ciCases"/>.</summary>
    public static int Cases(int ciCases) =>
        int.TryParse(Environment.GetEnvironmentVariable("SELFSUP_FUZZ_CASES"), out int n) && n > 0 ? n : ciCases;

    /// <summary>What one fuzzed read must respect.</summary>
    /// <param name="Reader">Name used in messages and the summary line.</param>
    /// <param name="ExpectedErrors">Exception types that are a clear, expected refusal.</param>
    /// <param name="BytesPerInputByte">Allocation bound: <c>a</c> in <c>a·bytes + b</c>.</param>
    /// <param name="FixedBytes">Allocation bound: <c>b</c> in <c>a·bytes + b</c>.</param>
    /// <param name="Timeout">Time bound per read.</param>
    public sealed record Limits(string Reader, Type[] ExpectedErrors, double BytesPerInputByte, long FixedBytes, TimeSpan Timeout);

    /// <summary>Summary of one reader's run.</summary>
    public sealed record Summary(string Reader, int Cases, int Errors, int Results, int Crashes, int Hangs, int OtherFailures,
        long PeakAllocatedBytes)
    {
        public override string ToString() =>
            $"fuzz {Reader}: {Cases} cases, {Errors} clear errors, {Results} results, {Crashes} crashes, {Hangs} hangs, " +
            $"{OtherFailures} other failures (over-allocation, not deterministic, message), peak allocation {PeakAllocatedBytes / 1024.0 / 1024.0:F1} MB";
    }

    /// <summary>
    /// Runs <paramref name="cases"/> mutants of <paramref name="seeds"/> through <paramref name="read"/>, which returns
    /// a fingerprint of its result (e.g. a hash of the pixels). Fails the test, naming the case, on a crash, a hang,
    /// an over-allocation or a non-deterministic outcome.
    /// </summary>
    public static Summary Run(Limits limits, IReadOnlyList<byte[]> seeds, Func<byte[], string> read, int cases, int seed,
        ITestOutputHelper? output = null)
    {
        if (seeds.Count == 0) throw new ArgumentException("at least one seed input");
        var rng = new Random(seed);
        int errors = 0, results = 0;
        long peak = 0;
        var failures = new List<string>();
        for (int c = 0; c < cases && failures.Count < 5; c++)
        {
            var input = Mutate(seeds[rng.Next(seeds.Count)], rng);
            var first = Attempt(limits, input, read);
            peak = Math.Max(peak, first.Allocated);
            string where = $"{limits.Reader} case {c} (seed {seed}, {input.Length} bytes)";
            if (first.Problem is { } p) { failures.Add($"{where}: {p}"); continue; }
            Attempt(limits, seeds[rng.Next(seeds.Count)], read);        // something else in between
            var second = Attempt(limits, input, read);
            if (second.Problem is { } p2) failures.Add($"{where}: second read: {p2}");
            else if (second.Text != first.Text)
                failures.Add($"{where}: not deterministic: '{first.Text}' then '{second.Text}'");
            else if (first.Failed) errors++;
            else results++;
        }
        int crashes = failures.Count(f => f.Contains(": crash:")), hangs = failures.Count(f => f.Contains(": hang:"));
        var summary = new Summary(limits.Reader, cases, errors, results, crashes, hangs, failures.Count - crashes - hangs, peak);
        output?.WriteLine(summary.ToString());
        if (Environment.GetEnvironmentVariable("SELFSUP_FUZZ_REPORT") is { Length: > 0 } report)
            File.AppendAllText(report, summary + Environment.NewLine);
        if (failures.Count > 0) throw new Xunit.Sdk.XunitException(string.Join("\n", failures));
        return summary;
    }

    readonly record struct Outcome(string Text, bool Failed, string? Problem, long Allocated);

    /// <summary>Reads on one long-lived thread, so that what a reader keeps between calls (a thread's native
    /// handle, a cache) is exercised: a case is read after other cases, and again after a seed input.</summary>
    sealed class Worker
    {
        readonly System.Collections.Concurrent.BlockingCollection<Action> work = new();
        public Worker() => new Thread(() => { foreach (var a in work.GetConsumingEnumerable()) a(); }, 64 << 20) { IsBackground = true }.Start();
        public void Post(Action a) => work.Add(a);
        public void Abandon() => work.CompleteAdding();
    }

    [ThreadStatic] static Worker? worker;

    static Outcome Attempt(Limits limits, byte[] input, Func<byte[], string> read)
    {
        string? outcome = null, problem = null;
        bool failed = false;
        long allocated = 0;
        using var done = new ManualResetEventSlim();
        worker ??= new Worker();
        worker.Post(() =>
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            try { outcome = "ok " + read(input); }
            catch (Exception e) when (limits.ExpectedErrors.Any(t => t.IsInstanceOfType(e)))
            {
                failed = true;
                outcome = "error " + e.Message;
                if (e.Message.Contains('\n') || e.Message.Length == 0) problem = $"error message is not one line: '{e.Message}'";
            }
            catch (Exception e) { problem = $"crash: {e.GetType().Name}: {e.Message}\n{e.StackTrace}"; }
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            done.Set();
        });
        if (!done.Wait(limits.Timeout))
        {
            worker.Abandon();                   // the stuck thread is left behind; later cases get a new one
            worker = null;
            return new Outcome("", false, $"hang: no answer after {limits.Timeout.TotalSeconds:F0} s", 0);
        }
        long bound = (long)(limits.BytesPerInputByte * input.Length) + limits.FixedBytes;
        if (problem is null && allocated > bound)
            problem = $"allocated {allocated} bytes, over the bound {bound} for {input.Length} input bytes ({outcome})";
        return new Outcome(outcome ?? "", failed, problem, allocated);
    }

    /// <summary>One to four mutations of a copy of <paramref name="seed"/>.</summary>
    public static byte[] Mutate(byte[] seed, Random rng)
    {
        var bytes = new List<byte>(seed);
        int rounds = 1 + rng.Next(4);
        for (int r = 0; r < rounds; r++)
        {
            if (bytes.Count == 0) { bytes.Add((byte)rng.Next(256)); continue; }
            int at = rng.Next(bytes.Count);
            switch (rng.Next(7))
            {
                case 0: bytes[at] ^= (byte)(1 << rng.Next(8)); break;                          // bit flip
                case 1: bytes[at] = Interesting[rng.Next(Interesting.Length)]; break;          // boundary value
                case 2: bytes[at] = (byte)rng.Next(256); break;                                // random byte
                case 3: bytes.RemoveRange(at, bytes.Count - at); break;                        // truncation
                case 4: bytes.RemoveRange(at, Math.Min(bytes.Count - at, 1 + rng.Next(16))); break;   // deletion
                case 5: bytes.InsertRange(at, Enumerable.Range(0, 1 + rng.Next(16)).Select(_ => (byte)rng.Next(256))); break;
                default:                                                                       // duplicated chunk
                    int len = Math.Min(bytes.Count - at, 1 + rng.Next(64));
                    bytes.InsertRange(rng.Next(bytes.Count), bytes.GetRange(at, len));
                    break;
            }
        }
        return [.. bytes];
    }

    static readonly byte[] Interesting = [0x00, 0x01, 0x7F, 0x80, 0xFF, 0xFE, 0x10, 0x20, 0x40];

    /// <summary>A short, stable fingerprint of bytes (for results such as decoded pixels).</summary>
    public static string Hash(ReadOnlySpan<byte> bytes) => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(bytes))[..16];
}
