namespace SelfSup.Bench;

/// <summary>Peak resident set size of this process (VmHWM from /proc/self/status), as /usr/bin/time reports max RSS.</summary>
public static class PeakMemory
{
    public static long Bytes()
    {
        const string path = "/proc/self/status";
        if (!File.Exists(path)) return Environment.WorkingSet;
        foreach (var line in File.ReadLines(path))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0]) * 1024;
        return Environment.WorkingSet;
    }
}
