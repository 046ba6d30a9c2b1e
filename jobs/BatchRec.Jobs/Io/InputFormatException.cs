namespace BatchRec.Jobs.Io;

/// <summary>
/// Thrown for any bad input file or folder. <see cref="Exception.Message"/> names the file and, where relevant, the
/// row (0-based within the file) or text line (1-based), the column, and the expected and found types or the reason.
/// </summary>
public sealed class InputFormatException : Exception
{
    public InputFormatException(string message, Exception? inner = null)
        : base(message, inner) { }

    private InputFormatException(string file, string? column, long? row, long? line, string reason, Exception? inner)
        : base(Compose(file, column, row, line, reason), inner)
    {
        File = file;
        Column = column;
        Row = row;
        Line = line;
    }

    /// <summary>The file or folder at fault, when known.</summary>
    public string? File { get; }

    /// <summary>The column at fault, when the problem is in one column.</summary>
    public string? Column { get; }

    /// <summary>The 0-based row within <see cref="File"/> of a Parquet file, when one row is at fault.</summary>
    public long? Row { get; }

    /// <summary>The 1-based line of a text file, when one line is at fault.</summary>
    public long? Line { get; }

    /// <summary>A problem with a whole file or folder, or with one column of it.</summary>
    internal static InputFormatException InFile(
        string file,
        string reason,
        string? column = null,
        Exception? inner = null
    ) => new(file, column, null, null, reason, inner);

    /// <summary>A problem with one value: row <paramref name="row"/> (0-based) of a Parquet file.</summary>
    internal static InputFormatException AtRow(string file, long row, string column, string reason) =>
        new(file, column, row, null, reason, null);

    /// <summary>A problem with line <paramref name="line"/> (1-based) of a text file.</summary>
    internal static InputFormatException AtLine(string file, long line, string reason, Exception? inner = null) =>
        new(file, null, null, line, reason, inner);

    private static string Compose(string file, string? column, long? row, long? line, string reason)
    {
        var parts = new List<string>(3);
        if (line is { } l)
            parts.Add($"line {l}");
        if (row is { } r)
            parts.Add($"row {r}");
        if (column is { } c)
            parts.Add($"column '{c}'");
        return parts.Count == 0 ? $"{file}: {reason}" : $"{file}: {string.Join(", ", parts)}: {reason}";
    }
}
