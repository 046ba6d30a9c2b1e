namespace BatchRec.Jobs.Io;

/// <summary>
/// How the ids of one column are stored: as 64-bit integers, as strings, or as 32-bit integers (when every file of the
/// table stores them so). The output tables keep the input's kind. (Numbered as stored in snapshot.json: append only.)
/// </summary>
public enum IdKind
{
    Int64,
    String,
    Int32,
}

/// <summary>How id kinds combine.</summary>
public static class IdKinds
{
    public static bool IsInteger(IdKind kind) => kind != IdKind.String;

    /// <summary>
    /// The kind that holds ids of both kinds: int32 with int64 widens to int64; strings with integers stay strings (the
    /// integers are then ids like any other). Callers refuse a table whose files mix strings and integers beforehand.
    /// </summary>
    public static IdKind Widen(IdKind a, IdKind b) =>
        a == IdKind.String || b == IdKind.String ? IdKind.String
        : a == IdKind.Int64 || b == IdKind.Int64 ? IdKind.Int64
        : IdKind.Int32;

    /// <inheritdoc cref="Widen(IdKind, IdKind)"/>
    public static IdKind? Widen(IdKind? a, IdKind? b) => a is { } x ? (b is { } y ? Widen(x, y) : x) : b;

    /// <summary>The kind in words, as messages show it.</summary>
    public static string Describe(IdKind kind) =>
        kind switch
        {
            IdKind.String => "strings",
            IdKind.Int32 => "int32",
            _ => "int64",
        };
}

/// <summary>
/// One input file: path, size in bytes, row count from its footer, the hive partition value of a <c>dt=YYYY-MM-DD</c>
/// folder in its path (null if none), and the SHA-256 (lower-case hex) of its content.
/// </summary>
public sealed record InputFileInfo(string Path, long Bytes, long Rows, string? Partition, string Sha256);

/// <summary>
/// One row group of an interactions file. Ids are given as strings whatever their kind (int64 ids in invariant
/// decimal form); timestamps are Unix epoch seconds. <paramref name="FirstRow"/> is the 0-based row within
/// <paramref name="File"/> of the batch's first row.
/// </summary>
public sealed record InteractionBatch(
    string File,
    long FirstRow,
    IdKind UserIdKind,
    IdKind ItemIdKind,
    string[] UserIds,
    string[] ItemIds,
    long[] Timestamps,
    float[] Weights,
    string?[] EventTypes
)
{
    public int Count => UserIds.Length;
}

/// <summary>
/// One row group of an interactions file as stored, nulls kept, before row validation. <paramref name="Times"/> are the
/// integers of an integer timestamp column (the configured unit not yet applied) or, when
/// <paramref name="TimesAreEpochSeconds"/>, epoch seconds of a Parquet timestamp column. A null weight reads as 1.
/// <paramref name="ExtraColumns"/> are the file's columns the input contract does not name (ignored).
/// </summary>
public sealed record InteractionRowBatch(
    string File,
    long FirstRow,
    IdKind UserIdKind,
    IdKind ItemIdKind,
    string?[] UserIds,
    string?[] ItemIds,
    long?[] Times,
    bool TimesAreEpochSeconds,
    float[] Weights,
    string?[] EventTypes,
    string[] ExtraColumns
)
{
    public int Count => UserIds.Length;
}

/// <summary>
/// All rows of the items table, column by column, in file order. <paramref name="Embeddings"/>: the optional
/// precomputed vectors of <c>items.embedding</c> (null when the column is absent; a null entry = no vector).
/// <paramref name="Files"/> and <paramref name="FileStarts"/>: the files read, in order, and the index of each one's
/// first row (see <see cref="SourceOf"/>).
/// </summary>
public sealed record ItemRows(
    IdKind ItemIdKind,
    string[] ItemIds,
    string?[] Titles,
    string?[] Texts,
    string[][] Tags,
    float[]?[]? Embeddings = null,
    string[]? Files = null,
    int[]? FileStarts = null
)
{
    public int Count => ItemIds.Length;

    /// <summary>The file of row <paramref name="index"/> and its 0-based row within that file; ("", index) when unknown.</summary>
    public (string File, long Row) SourceOf(int index)
    {
        if (Files is null || FileStarts is null || Files.Length == 0)
            return ("", index);
        var f = Array.BinarySearch(FileStarts, index);
        if (f < 0)
            f = ~f - 1;
        while (f + 1 < FileStarts.Length && FileStarts[f + 1] == index)
            f++; // files with no rows start where the next one does
        return (Files[f], index - FileStarts[f]);
    }
}

/// <summary>All rows of the users table, column by column, in file order.</summary>
public sealed record UserRows(IdKind UserIdKind, string[] UserIds, string?[] Texts)
{
    public int Count => UserIds.Length;
}

/// <summary>One evaluation figure: metric@K of one model on one split of one run.</summary>
/// <summary>One row of the metrics table. <paramref name="Role"/>: <c>published</c> (the published model's
/// figures), <c>candidate</c> (another candidate of model.kind auto) or <c>tuning</c> (a setting tried on validation,
/// named by <paramref name="Setting"/>, e.g. <c>lambda=200</c>; empty for the other roles).</summary>
public sealed record MetricRow(
    string RunId,
    string Model,
    string Split,
    string Metric,
    int K,
    double Value,
    string Role = MetricRow.Published,
    string Setting = ""
)
{
    public const string Published = "published";
    public const string Candidate = "candidate";
    public const string Tuning = "tuning";
}

/// <summary>What <see cref="MovieLensImporter"/> converted; <paramref name="Format"/> is "csv" or "dat".</summary>
public sealed record ImportSummary(long Ratings, long Movies, long TagApplications, string Format);
