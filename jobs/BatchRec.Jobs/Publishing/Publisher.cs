using System.Runtime.InteropServices;
using BatchRec.Core;

namespace BatchRec.Jobs.Publishing;

/// <summary>
/// Publishes a table partition atomically. Each published partition <c>&lt;table&gt;/dt=D</c> is a symbolic link to an
/// immutable version folder <c>&lt;table&gt;/.versions/dt=D/&lt;runId&gt;/</c> holding the Parquet files and a
/// <c>_SUCCESS</c> marker. Publishing moves the finished staging folder into <c>.versions</c>, then swaps the link
/// with one rename(2), so a reader that opens <c>dt=D</c> sees the old or the new partition, never a mix, and a
/// partition that has no <c>_SUCCESS</c> never becomes visible. Folders starting with '.' are hidden from
/// Hive-style readers (Spark, pyarrow, DuckDB). The previous version is kept for readers still open on it; older
/// ones are deleted.
/// </summary>
public static class Publisher
{
    [DllImport("libc", SetLastError = true, EntryPoint = "rename")]
    private static extern int RenameNative(string oldPath, string newPath);

    /// <summary>Atomically replaces <paramref name="newPath"/> with <paramref name="oldPath"/> (POSIX rename).</summary>
    public static void AtomicRename(string oldPath, string newPath)
    {
        if (RenameNative(oldPath, newPath) != 0)
            throw new IOException($"rename('{oldPath}', '{newPath}') failed: {Marshal.GetLastPInvokeErrorMessage()}");
    }

    /// <summary>The partition folder name for a date.</summary>
    public static string PartitionName(string date) => "dt=" + date;

    /// <summary>
    /// Moves <paramref name="stagedDir"/> (same file system as <paramref name="tableRoot"/>) into a new version of
    /// partition <paramref name="date"/>, writes its <c>_SUCCESS</c> marker and swaps the partition link to it.
    /// Returns the published version folder.
    /// </summary>
    public static string PublishPartition(string tableRoot, string date, string stagedDir, string runId)
    {
        if (!Directory.Exists(stagedDir))
            throw new DirectoryNotFoundException($"Staged partition '{stagedDir}' does not exist.");
        var partition = PartitionName(date);
        var versionsRoot = Path.Combine(tableRoot, ".versions", partition);
        Directory.CreateDirectory(versionsRoot);
        var version = Path.Combine(versionsRoot, runId);
        if (Directory.Exists(version))
            Directory.Delete(version, recursive: true); // an earlier attempt of this run
        Directory.Move(stagedDir, version);
        File.WriteAllText(Path.Combine(version, Schema.Output.SuccessMarker), runId + Environment.NewLine);

        return SwapLink(tableRoot, date, runId);
    }

    /// <summary>Points the partition link at an already published version of <paramref name="runId"/> (a retried publish).</summary>
    public static string Relink(string tableRoot, string date, string runId) => SwapLink(tableRoot, date, runId);

    private static string SwapLink(string tableRoot, string date, string runId)
    {
        var partition = PartitionName(date);
        var versionsRoot = Path.Combine(tableRoot, ".versions", partition);
        var version = Path.Combine(versionsRoot, runId);
        if (!File.Exists(Path.Combine(version, Schema.Output.SuccessMarker)))
            throw new IOException(
                $"Version '{version}' has no {Schema.Output.SuccessMarker} marker; it will not be published."
            );
        var link = Path.Combine(tableRoot, partition);
        if (Directory.Exists(link) && new DirectoryInfo(link).LinkTarget is null)
            throw new IOException(
                $"'{link}' is a real folder, not a BatchRec partition link; move it away before publishing."
            );
        var previous = new DirectoryInfo(link).LinkTarget;
        var tmpLink = Path.Combine(tableRoot, $".{partition}.{runId}.link");
        if (File.Exists(tmpLink) || Directory.Exists(tmpLink) || new FileInfo(tmpLink).LinkTarget is not null)
            File.Delete(tmpLink);
        File.CreateSymbolicLink(tmpLink, Path.Combine(".versions", partition, runId));
        AtomicRename(tmpLink, link);

        // keep the new and the previous version; older ones can have no reader that started after the last swap
        var keep = new HashSet<string>(StringComparer.Ordinal) { runId };
        if (previous is not null)
            keep.Add(Path.GetFileName(previous.TrimEnd('/')));
        foreach (var old in Directory.GetDirectories(versionsRoot))
            if (!keep.Contains(Path.GetFileName(old)))
                Directory.Delete(old, recursive: true);
        return version;
    }

    /// <summary>The version folder a partition link points to now, or null when the partition is not published.</summary>
    public static string? CurrentVersion(string tableRoot, string date)
    {
        var link = Path.Combine(tableRoot, PartitionName(date));
        var target = new DirectoryInfo(link).LinkTarget;
        return target is null ? null : Path.GetFullPath(Path.Combine(tableRoot, target));
    }
}
