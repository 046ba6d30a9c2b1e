using System.Globalization;
using BatchRec.Core;
using Parquet;
using Parquet.Schema;

namespace BatchRec.Jobs.Io;

/// <summary>
/// Converts a MovieLens release folder into the dataset folder layout read by <see cref="DatasetReader"/>:
/// <c>interactions/part-00000.parquet</c> (user_id int64, item_id int64, timestamp int64, weight float = rating,
/// event_type "rating") and <c>items/part-00000.parquet</c> (item_id int64, title string, text string = the distinct
/// user-applied tags of the movie joined with ", " in first-seen order or null, tags list&lt;string&gt; = the genres).
/// </summary>
public static class MovieLensImporter
{
    /// <summary>Default number of ratings per row group of the interactions file.</summary>
    public const int DefaultRatingsPerRowGroup = 1_000_000;
    private const string EventType = "rating";
    private const string NoGenres = "(no genres listed)";

    private sealed record Format(string Name, string Extension, bool HasHeader)
    {
        public static readonly Format Csv = new("csv", ".csv", HasHeader: true);
        public static readonly Format Dat = new("dat", ".dat", HasHeader: false);
    }

    /// <summary>One file of a release: its stem, its columns (CSV header names, in .dat order), and which column may hold the separator.</summary>
    private sealed record Table(string Stem, string[] Columns, int FreeTextColumn)
    {
        public static readonly Table Ratings = new("ratings", ["userId", "movieId", "rating", "timestamp"], -1);
        public static readonly Table Movies = new("movies", ["movieId", "title", "genres"], 1);
        public static readonly Table Tags = new("tags", ["userId", "movieId", "tag", "timestamp"], 2);
    }

    private readonly record struct Record(string File, long Line, string[] Values);

    /// <summary>
    /// Detects the release format and converts it. CSV releases: ratings.csv, movies.csv, optional tags.csv, each with a
    /// header row, RFC 4180 quoting, CRLF or LF. Older releases: ratings.dat, movies.dat, optional tags.dat, '::'-separated.
    /// Lines are decoded as UTF-8, falling back to Latin-1 for lines that are not valid UTF-8 (ml-1m's movies.dat).
    /// Output is written to a temporary folder beside <paramref name="outDir"/> and renamed into place (replacing its
    /// interactions and items folders if it exists), so a failure leaves no partial output.
    /// </summary>
    /// <exception cref="InputFormatException">A file is missing or a line is bad (names the file and the line number).</exception>
    public static Task<ImportSummary> ImportAsync(string sourceDir, string outDir, CancellationToken ct = default) =>
        ImportAsync(sourceDir, outDir, DefaultRatingsPerRowGroup, ct);

    /// <inheritdoc cref="ImportAsync(string, string, CancellationToken)"/>
    /// <param name="ratingsPerRowGroup">Ratings per row group of the interactions file (memory is bounded by one).</param>
    public static async Task<ImportSummary> ImportAsync(
        string sourceDir,
        string outDir,
        int ratingsPerRowGroup,
        CancellationToken ct = default
    )
    {
        ArgumentException.ThrowIfNullOrEmpty(sourceDir);
        ArgumentException.ThrowIfNullOrEmpty(outDir);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ratingsPerRowGroup);
        var format = Detect(sourceDir);
        var target = Path.TrimEndingDirectorySeparator(Path.GetFullPath(outDir));
        var parent = Path.GetDirectoryName(target)
            ?? throw new ArgumentException("the output folder cannot be a root folder", nameof(outDir));
        var temp = Path.Combine(parent, $".{Path.GetFileName(target)}.import-{Guid.NewGuid():N}");
        try
        {
            var itemsFile = Path.Combine(temp, Schema.Input.Items, "part-00000.parquet");
            var interactionsFile = Path.Combine(temp, Schema.Input.Interactions, "part-00000.parquet");
            Directory.CreateDirectory(Path.GetDirectoryName(itemsFile)!);
            Directory.CreateDirectory(Path.GetDirectoryName(interactionsFile)!);

            var (movieTags, tagApplications) = ReadTags(sourceDir, format, ct);
            long movies = await WriteItemsAsync(sourceDir, format, movieTags, itemsFile, ct).ConfigureAwait(false);
            long ratings = await WriteInteractionsAsync(sourceDir, format, interactionsFile, ratingsPerRowGroup, ct)
                .ConfigureAwait(false);
            MoveIntoPlace(temp, target);
            return new ImportSummary(ratings, movies, tagApplications, format.Name);
        }
        finally
        {
            if (Directory.Exists(temp))
                Directory.Delete(temp, recursive: true);
        }
    }

    private static Format Detect(string sourceDir)
    {
        if (!Directory.Exists(sourceDir))
            throw InputFormatException.InFile(sourceDir, "MovieLens folder does not exist");
        var format =
            File.Exists(FileOf(sourceDir, Table.Ratings, Format.Csv)) ? Format.Csv
            : File.Exists(FileOf(sourceDir, Table.Ratings, Format.Dat)) ? Format.Dat
            : throw InputFormatException.InFile(
                sourceDir,
                "not a MovieLens release: it holds neither ratings.csv nor ratings.dat"
            );
        var movies = FileOf(sourceDir, Table.Movies, format);
        if (!File.Exists(movies))
            throw InputFormatException.InFile(movies, $"ratings{format.Extension} is there but this file is missing");
        return format;
    }

    private static string FileOf(string sourceDir, Table table, Format format) =>
        Path.Combine(sourceDir, table.Stem + format.Extension);

    /// <summary>Distinct trimmed tags per movie in first-seen order, and the number of tag lines.</summary>
    private static (Dictionary<long, List<string>> Tags, long Applications) ReadTags(
        string sourceDir,
        Format format,
        CancellationToken ct
    )
    {
        var path = FileOf(sourceDir, Table.Tags, format);
        var tags = new Dictionary<long, List<string>>();
        if (!File.Exists(path))
            return (tags, 0);
        var seen = new HashSet<(long, string)>();
        long applications = 0;
        foreach (var record in ReadRecords(path, format, Table.Tags, ct))
        {
            long movie = ParseInt64(record, 1, Table.Tags);
            _ = ParseInt64(record, 0, Table.Tags); // validated, not kept
            applications++;
            var tag = record.Values[2].Trim();
            if (tag.Length == 0 || !seen.Add((movie, tag)))
                continue;
            if (!tags.TryGetValue(movie, out var list))
                tags[movie] = list = [];
            list.Add(tag);
        }
        return (tags, applications);
    }

    private static async Task<long> WriteItemsAsync(
        string sourceDir,
        Format format,
        Dictionary<long, List<string>> movieTags,
        string path,
        CancellationToken ct
    )
    {
        var ids = new List<long>();
        var titles = new List<string>();
        var genres = new List<string[]>();
        var lines = new Dictionary<long, long>();
        foreach (var record in ReadRecords(FileOf(sourceDir, Table.Movies, format), format, Table.Movies, ct))
        {
            long id = ParseInt64(record, 0, Table.Movies);
            if (!lines.TryAdd(id, record.Line))
                throw InputFormatException.AtLine(
                    record.File,
                    record.Line,
                    $"movieId {id} appears again (first on line {lines[id]})"
                );
            ids.Add(id);
            titles.Add(record.Values[1]);
            genres.Add(
                record
                    .Values[2]
                    .Split('|', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                    .Where(g => g != NoGenres)
                    .ToArray()
            );
        }
        var texts = ids.Select(id => movieTags.TryGetValue(id, out var tags) ? string.Join(", ", tags) : null)
            .ToArray();

        var itemId = new DataField<long>(Schema.Input.ItemId);
        var title = new DataField<string>(Schema.Input.Title);
        var text = new DataField<string>(Schema.Input.Text);
        var tagList = new ListField(Schema.Input.Tags, new DataField<string>(ListField.ElementName));
        var tagLeaf = (DataField)tagList.Item;
        var schema = new ParquetSchema(itemId, title, text, tagList);

        await using var stream = new FileStream(
            path,
            FileMode.CreateNew,
            FileAccess.ReadWrite,
            FileShare.None,
            1 << 16,
            useAsync: true
        );
        await using var writer = await ParquetWriter
            .CreateAsync(schema, stream, ParquetOutput.WriteOptions, false, ct)
            .ConfigureAwait(false);
        if (ids.Count == 0)
            return 0;
        using var group = writer.CreateRowGroup();
        await group.WriteAsync<long>(itemId, ids.ToArray(), cancellationToken: ct).ConfigureAwait(false);
        await group.WriteAsync(title, titles).ConfigureAwait(false);
        await group.WriteAsync(text, texts).ConfigureAwait(false);
        var (values, definitions, repetitions) = ListLevels(tagLeaf, genres);
        await group
            .WriteAllPartsAsync<ReadOnlyMemory<char>>(tagLeaf, values, definitions, repetitions, ct)
            .ConfigureAwait(false);
        group.CompleteValidate();
        return ids.Count;
    }

    /// <summary>
    /// Dremel levels of a list&lt;string&gt; column whose list and elements are both nullable (max definition level 3):
    /// an element is at the max level, an empty list two below it; the first entry of each row repeats at level 0.
    /// </summary>
    internal static (ReadOnlyMemory<char>[] Values, int[] Definitions, int[] Repetitions) ListLevels(
        DataField leaf,
        IReadOnlyList<string[]> rows
    )
    {
        int present = leaf.MaxDefinitionLevel,
            empty = present - (leaf.IsNullable ? 2 : 1);
        var values = new List<ReadOnlyMemory<char>>();
        var definitions = new List<int>();
        var repetitions = new List<int>();
        foreach (var row in rows)
        {
            if (row.Length == 0)
            {
                definitions.Add(empty);
                repetitions.Add(0);
                continue;
            }
            for (int j = 0; j < row.Length; j++)
            {
                values.Add(row[j].AsMemory());
                definitions.Add(present);
                repetitions.Add(j == 0 ? 0 : 1);
            }
        }
        return (values.ToArray(), definitions.ToArray(), repetitions.ToArray());
    }

    private static async Task<long> WriteInteractionsAsync(
        string sourceDir,
        Format format,
        string path,
        int rowsPerGroup,
        CancellationToken ct
    )
    {
        var (userId, itemId, timestamp, weight, eventType, schema) = ParquetOutput.InteractionFields();

        await using var stream = new FileStream(
            path,
            FileMode.CreateNew,
            FileAccess.ReadWrite,
            FileShare.None,
            1 << 16,
            useAsync: true
        );
        await using var writer = await ParquetWriter
            .CreateAsync(schema, stream, ParquetOutput.WriteOptions, false, ct)
            .ConfigureAwait(false);
        // Buffers grow by doubling up to one row group, so small releases stay small.
        var users = new long[Math.Min(1024, rowsPerGroup)];
        var items = new long[users.Length];
        var times = new long[users.Length];
        var ratings = new float[users.Length];
        int n = 0;
        long total = 0;
        foreach (var record in ReadRecords(FileOf(sourceDir, Table.Ratings, format), format, Table.Ratings, ct))
        {
            if (n == users.Length)
            {
                int size = Math.Min(2 * n, rowsPerGroup);
                Array.Resize(ref users, size);
                Array.Resize(ref items, size);
                Array.Resize(ref times, size);
                Array.Resize(ref ratings, size);
            }
            users[n] = ParseInt64(record, 0, Table.Ratings);
            items[n] = ParseInt64(record, 1, Table.Ratings);
            ratings[n] = ParseRating(record);
            times[n] = ParseInt64(record, 3, Table.Ratings);
            if (++n == rowsPerGroup)
                await FlushAsync().ConfigureAwait(false);
        }
        await FlushAsync().ConfigureAwait(false);
        return total;

        async Task FlushAsync()
        {
            if (n == 0)
                return;
            using var group = writer.CreateRowGroup();
            await group.WriteAsync<long>(userId, users.AsMemory(0, n), cancellationToken: ct).ConfigureAwait(false);
            await group.WriteAsync<long>(itemId, items.AsMemory(0, n), cancellationToken: ct).ConfigureAwait(false);
            await group.WriteAsync<long>(timestamp, times.AsMemory(0, n), cancellationToken: ct).ConfigureAwait(false);
            await group.WriteAsync<float>(weight, ratings.AsMemory(0, n), cancellationToken: ct).ConfigureAwait(false);
            await ParquetOutput.WriteConstantAsync(group, eventType, EventType, n, ct).ConfigureAwait(false);
            group.CompleteValidate();
            total += n;
            n = 0;
        }
    }

    /// <summary>Moves the new tables into <paramref name="target"/>: the whole folder if it is new, else table by table.</summary>
    private static void MoveIntoPlace(string temp, string target)
    {
        if (!Directory.Exists(target))
        {
            Directory.Move(temp, target);
            return;
        }
        foreach (var table in new[] { Schema.Input.Interactions, Schema.Input.Items })
        {
            var destination = Path.Combine(target, table);
            if (Directory.Exists(destination))
                Directory.Move(destination, Path.Combine(temp, $".replaced-{table}")); // deleted with the temp folder
            Directory.Move(Path.Combine(temp, table), destination);
        }
    }

    /// <summary>
    /// The non-blank records of one file, values in <see cref="Table.Columns"/> order. CSV: the header names the columns
    /// (extra columns allowed). .dat: fields split on "::"; the free-text column takes any extra separators.
    /// </summary>
    private static IEnumerable<Record> ReadRecords(string path, Format format, Table table, CancellationToken ct)
    {
        using var lines = new TextLineReader(path);
        if (format.HasHeader)
        {
            var csv = new CsvRecordReader(lines);
            int[]? positions = null;
            int width = 0;
            while (csv.ReadRecord() is { } fields)
            {
                if (fields is [var only] && string.IsNullOrWhiteSpace(only))
                    continue;
                if (positions is null)
                {
                    positions = HeaderPositions(path, csv.LineNumber, fields, table);
                    width = fields.Count;
                    continue;
                }
                if (fields.Count != width)
                    throw InputFormatException.AtLine(
                        path,
                        csv.LineNumber,
                        $"expected {width} fields as in the header, found {fields.Count}"
                    );
                if ((csv.LineNumber & 0xFFF) == 0)
                    ct.ThrowIfCancellationRequested();
                yield return new Record(path, csv.LineNumber, Array.ConvertAll(positions, p => fields[p]));
            }
            if (positions is null)
                throw InputFormatException.AtLine(
                    path,
                    1,
                    $"the header row is missing (expected {string.Join(",", table.Columns)})"
                );
        }
        else
        {
            while (lines.ReadLine() is { } line)
            {
                if (string.IsNullOrWhiteSpace(line))
                    continue;
                if ((lines.LineNumber & 0xFFF) == 0)
                    ct.ThrowIfCancellationRequested();
                yield return new Record(path, lines.LineNumber, SplitDat(path, lines.LineNumber, line, table));
            }
        }
    }

    private static int[] HeaderPositions(string path, long line, List<string> header, Table table) =>
        Array.ConvertAll(table.Columns, column =>
            header.FindIndex(h => h.Trim() == column) is var i and >= 0
                ? i
                : throw InputFormatException.AtLine(
                    path,
                    line,
                    $"header has no '{column}' column (found: {string.Join(",", header)})"
                )
        );

    private static string[] SplitDat(string path, long line, string text, Table table)
    {
        var parts = text.Split("::");
        int expected = table.Columns.Length,
            extra = parts.Length - expected;
        if (extra == 0)
            return parts;
        if (extra < 0 || table.FreeTextColumn < 0)
            throw InputFormatException.AtLine(
                path,
                line,
                $"expected {expected} '::'-separated fields ({string.Join("::", table.Columns)}), found {parts.Length}"
            );
        int free = table.FreeTextColumn;
        return [.. parts[..free], string.Join("::", parts[free..(free + extra + 1)]), .. parts[(free + extra + 1)..]];
    }

    private static long ParseInt64(Record record, int index, Table table)
    {
        var value = record.Values[index];
        return long.TryParse(
            value,
            NumberStyles.AllowLeadingSign | NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite,
            CultureInfo.InvariantCulture,
            out var result
        )
            ? result
            : throw InputFormatException.AtLine(
                record.File,
                record.Line,
                $"{table.Columns[index]} '{value}' is not an integer"
            );
    }

    private static float ParseRating(Record record)
    {
        var value = record.Values[2];
        return
            float.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var result)
            && float.IsFinite(result)
            ? result
            : throw InputFormatException.AtLine(record.File, record.Line, $"rating '{value}' is not a number");
    }
}
