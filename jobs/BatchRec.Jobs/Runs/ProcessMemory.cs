namespace BatchRec.Jobs.Runs;

/// <summary>
/// This process's resident memory on Linux (<c>/proc/self/status</c>): the current RSS and the peak since the last
/// <see cref="ResetPeak"/> (VmHWM, which writing 5 to <c>/proc/self/clear_refs</c> resets; Linux ≥ 4.0). Elsewhere,
/// or where /proc is not readable, the figures are null.
/// </summary>
public static class ProcessMemory
{
    /// <summary>
    /// When set (the benchmark harness sets it), every stage resets the peak at its start, so its record holds the
    /// peak of its own window. Off by default: resetting VmHWM also resets what /usr/bin/time and getrusage report
    /// for the whole process, which other measurements of a plain run rely on.
    /// </summary>
    public static bool StageWindows { get; set; }

    /// <summary>Starts a new peak window. Returns false where the kernel does not allow it.</summary>
    public static bool ResetPeak()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e)
            when (e
                    is IOException
                        or UnauthorizedAccessException
                        or PlatformNotSupportedException
                        or DirectoryNotFoundException
            )
        {
            return false;
        }
    }

    /// <summary>Peak resident set size (VmHWM) in bytes since process start or the last <see cref="ResetPeak"/>.</summary>
    public static long? PeakBytes() => Read("VmHWM:");

    /// <summary>Current resident set size (VmRSS) in bytes.</summary>
    public static long? CurrentBytes() => Read("VmRSS:");

    private static long? Read(string key)
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith(key, StringComparison.Ordinal))
                {
                    var parts = line[key.Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    return long.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture) * 1024; // kB
                }
        }
        catch (Exception e)
            when (e is IOException or UnauthorizedAccessException or FormatException or DirectoryNotFoundException) { }
        return null;
    }
}
