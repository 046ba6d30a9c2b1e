using System.Runtime.InteropServices;

namespace BatchRec.Jobs.Configuration;

/// <summary>
/// Checks a config's folders before anything runs: the output root and the work folder must be folders (or not exist
/// yet) with no regular file on their path, the output root and the input dataset folder must be separate (neither
/// inside the other: published tables would be read back as input, or the input would be visible to consumers), and
/// the work folder must not lie inside the input dataset folder. Paths are compared after resolving symbolic links of
/// their existing part.
/// </summary>
public static class DatasetPaths
{
    /// <summary>Every problem with the three folders, each starting with the config key at fault; empty when they are fine.</summary>
    public static IReadOnlyList<string> Problems(string inputDir, string outputDir, string workDir)
    {
        var problems = new List<string>();
        foreach (
            var (key, path, what) in new[]
            {
                ("dataset.output", outputDir, "the output root"),
                ("dataset.work", workDir, "the work folder"),
            }
        )
        {
            if (FileInTheWay(path) is not { } file)
                continue;
            problems.Add(
                file == Full(path)
                    ? $"{key}: '{file}' is a file, not a folder; {what} must be a folder (or not exist yet)"
                    : $"{key}: '{Full(path)}' cannot be created: '{file}' on its path is a file, not a folder; {what} must be a folder (or not exist yet)"
            );
        }
        var (input, output, work) = (Canonical(inputDir), Canonical(outputDir), Canonical(workDir));
        if (input == output)
            problems.Add(
                $"dataset.output: '{Full(outputDir)}' is the input dataset folder (dataset.input); the published tables would be read back as "
                    + "input on the next night. Choose an output root outside the input dataset folder"
            );
        else if (IsUnder(output, input))
            problems.Add(
                $"dataset.output: '{Full(outputDir)}' lies inside the input dataset folder '{Full(inputDir)}' (dataset.input); the published "
                    + "tables would be read back as input on the next night. Choose an output root outside it"
            );
        else if (IsUnder(input, output))
            problems.Add(
                $"dataset.input: '{Full(inputDir)}' lies inside the output root '{Full(outputDir)}' (dataset.output), which consumers read; "
                    + "keep the input dataset folder outside the output root"
            );
        if (work == input || IsUnder(work, input))
            problems.Add(
                $"dataset.work: '{Full(workDir)}' is or lies inside the input dataset folder '{Full(inputDir)}' (dataset.input); the working "
                    + "files of runs would be mixed with the input. Choose a work folder outside it"
            );
        return problems;
    }

    private static string Full(string path) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));

    /// <summary>The path itself or the nearest ancestor that exists and is not a folder, or null when there is none.</summary>
    private static string? FileInTheWay(string path)
    {
        for (var p = Full(path); !string.IsNullOrEmpty(p); p = Path.GetDirectoryName(p))
        {
            if (Directory.Exists(p))
                return null; // a folder (or a link to one): everything above it is a folder too
            if (File.Exists(p))
                return p;
        }
        return null;
    }

    private static bool IsUnder(string path, string folder) =>
        path.StartsWith(folder.EndsWith('/') ? folder : folder + "/", StringComparison.Ordinal);

    /// <summary>The full path with the symbolic links of its longest existing prefix resolved (realpath(3)).</summary>
    private static string Canonical(string path)
    {
        var full = Full(path);
        var rest = new Stack<string>();
        var existing = full;
        while (!Directory.Exists(existing) && !File.Exists(existing))
        {
            var parent = Path.GetDirectoryName(existing);
            if (parent is null)
                return full;
            rest.Push(Path.GetFileName(existing));
            existing = parent;
        }
        var resolved = RealPath(existing) ?? existing;
        return rest.Count == 0 ? resolved : Path.Combine([resolved, .. rest]);
    }

    [DllImport("libc", EntryPoint = "realpath", SetLastError = true)]
    private static extern IntPtr RealPathNative(string path, IntPtr resolved);

    [DllImport("libc", EntryPoint = "free")]
    private static extern void Free(IntPtr pointer);

    private static string? RealPath(string path)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
            return null;
        var p = RealPathNative(path, IntPtr.Zero);
        if (p == IntPtr.Zero)
            return null;
        try
        {
            return Marshal.PtrToStringUTF8(p);
        }
        finally
        {
            Free(p);
        }
    }
}
