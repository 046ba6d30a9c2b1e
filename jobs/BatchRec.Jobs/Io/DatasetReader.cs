using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using BatchRec.Core;

namespace BatchRec.Jobs.Io;

/// <summary>
/// Reads the dataset folder layout: <c>&lt;root&gt;/&lt;table&gt;/**/*.parquet</c>, hive <c>dt=YYYY-MM-DD</c> folders allowed.
/// Columns are checked by name and type before any value is read; every problem is an <see cref="InputFormatException"/>.
/// </summary>
public static class DatasetReader
{
    private const string IdTypes = "string, int64 or int32";
    private const string WeightTypes =
        "float, double or an integer (int8, int16, int32, int64, uint8, uint16, uint32, uint64)";
    private const string PartitionKey = "dt=";

    /// <summary>
    /// Lists <c>&lt;datasetRoot&gt;/&lt;table&gt;/**/*.parquet</c> sorted by ordinal path; files and folders whose name starts
    /// with '.' or '_' are ignored. Opens each file's footer for its row count and hashes its content.
    /// </summary>
    /// <exception cref="InputFormatException">
    /// <paramref name="required"/> and the folder is missing or holds no .parquet file; a file is not Parquet;
    /// a <c>dt=</c> folder does not hold a YYYY-MM-DD date.
    /// </exception>
    /// <returns>The files; empty when the folder is missing and not <paramref name="required"/>.</returns>
    public static IReadOnlyList<InputFileInfo> ListFiles(string datasetRoot, string table, bool required)
    {
        ArgumentNullException.ThrowIfNull(datasetRoot);
        ArgumentException.ThrowIfNullOrEmpty(table);
        var folder = Path.GetFullPath(Path.Combine(datasetRoot, table));
        if (!Directory.Exists(folder))
        {
            return required
                ? throw InputFormatException.InFile(folder, $"required table folder '{table}' does not exist")
                : [];
        }

        var paths = new List<string>();
        Collect(folder, paths);
        paths.Sort(StringComparer.Ordinal);
        if (required && paths.Count == 0)
            throw InputFormatException.InFile(folder, $"required table folder '{table}' holds no .parquet file");

        return paths.Select(p => Describe(folder, p)).ToArray();
    }

    private static void Collect(string folder, List<string> paths)
    {
        foreach (var file in Directory.EnumerateFiles(folder))
        {
            if (!Ignored(file) && file.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase))
                paths.Add(file);
        }
        foreach (var sub in Directory.EnumerateDirectories(folder))
        {
            if (!Ignored(sub))
                Collect(sub, paths);
        }
    }

    private static bool Ignored(string path) =>
        Path.GetFileName(path) is var name && (name.StartsWith('.') || name.StartsWith('_'));

    private static InputFileInfo Describe(string tableFolder, string path)
    {
        // ListFiles is synchronous; Task.Run keeps the footer read off any caller's synchronization context.
        var rows = Task.Run(async () =>
            {
                await using var source = await ParquetSource
                    .OpenAsync(path, CancellationToken.None)
                    .ConfigureAwait(false);
                return source.Rows;
            })
            .GetAwaiter()
            .GetResult();

        string sha;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16))
            sha = Convert.ToHexStringLower(SHA256.HashData(stream));

        return new InputFileInfo(path, new FileInfo(path).Length, rows, Partition(tableFolder, path), sha);
    }

    /// <summary>The value of the innermost <c>dt=</c> folder between the table folder and the file, or null.</summary>
    private static string? Partition(string tableFolder, string path)
    {
        var relative = Path.GetRelativePath(tableFolder, Path.GetDirectoryName(path)!);
        var segment = relative
            .Split(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar)
            .LastOrDefault(s => s.StartsWith(PartitionKey, StringComparison.Ordinal));
        if (segment is null)
            return null;
        var value = segment[PartitionKey.Length..];
        if (!DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
            throw InputFormatException.InFile(path, $"partition folder '{segment}' does not hold a YYYY-MM-DD date");
        return value;
    }

    /// <summary>
    /// Streams interactions one row group at a time, so memory is bounded by one row group. Columns: user_id and item_id
    /// (string, int64 or int32), timestamp (int64 or int32 epoch seconds, or a Parquet timestamp or date, converted to
    /// epoch seconds; unspecified time zones are taken as UTC), optional weight (float, double or any integer type;
    /// absent or null gives 1), optional event_type (string; absent gives null). A batch's id kinds are those of the
    /// files read so far (int32 until a file stores int64 ids).
    /// </summary>
    /// <exception cref="InputFormatException">
    /// A file is not Parquet; a required column is missing or a column has the wrong type (thrown before any batch of
    /// that file); an id or timestamp is null (names the row); files disagree on id kinds (names both files).
    /// </exception>
    public static async IAsyncEnumerable<InteractionBatch> ReadInteractionsAsync(
        IReadOnlyList<InputFileInfo> files,
        [EnumeratorCancellation] CancellationToken ct = default
    )
    {
        ArgumentNullException.ThrowIfNull(files);
        var kinds = new KindAgreement();
        foreach (var file in files)
        {
            await using var source = await ParquetSource.OpenAsync(file.Path, ct).ConfigureAwait(false);
            var c = InteractionColumns.Of(source, kinds);
            foreach (var group in source.RowGroups())
            {
                ct.ThrowIfCancellationRequested();
                if (group.Rows == 0)
                    continue;
                var users = await group.ReadIdsAsync(c.UserId, ct).ConfigureAwait(false);
                var items = await group.ReadIdsAsync(c.ItemId, ct).ConfigureAwait(false);
                var times = await group.ReadEpochSecondsAsync(c.Timestamp, ct).ConfigureAwait(false);
                var (weights, events) = await c.ReadWeightsAndEventsAsync(group, ct).ConfigureAwait(false);
                yield return new InteractionBatch(
                    file.Path,
                    group.FirstRow,
                    c.UserKind,
                    c.ItemKind,
                    users,
                    items,
                    times,
                    weights,
                    events
                );
            }
        }
    }

    /// <summary>
    /// Streams interactions one row group at a time as stored, nulls kept, for row validation: the schema is checked as
    /// in <see cref="ReadInteractionsAsync"/> (before any batch of a file), values are not. Integer timestamps are
    /// returned unconverted (the configured unit applies); Parquet timestamps as epoch seconds. Columns of the file
    /// that the contract does not name are listed in each batch's <see cref="InteractionRowBatch.ExtraColumns"/>.
    /// </summary>
    /// <exception cref="InputFormatException">
    /// A file is not Parquet or cannot be decoded; a required column is missing or a column has the wrong type; files
    /// disagree on id kinds (names both files).
    /// </exception>
    public static async IAsyncEnumerable<InteractionRowBatch> ReadInteractionRowsAsync(
        IReadOnlyList<InputFileInfo> files,
        [EnumeratorCancellation] CancellationToken ct = default
    )
    {
        ArgumentNullException.ThrowIfNull(files);
        var kinds = new KindAgreement();
        foreach (var file in files)
        {
            await using var source = await ParquetSource.OpenAsync(file.Path, ct).ConfigureAwait(false);
            var c = InteractionColumns.Of(source, kinds);
            var extra = source
                .AllColumns()
                .Select(x => x.Name)
                .Where(n => !InteractionColumns.Known.Contains(n))
                .ToArray();
            foreach (var group in source.RowGroups())
            {
                ct.ThrowIfCancellationRequested();
                if (group.Rows == 0)
                    continue;
                var users = await group.ReadNullableIdsAsync(c.UserId, ct).ConfigureAwait(false);
                var items = await group.ReadNullableIdsAsync(c.ItemId, ct).ConfigureAwait(false);
                var times = await group.ReadNullableTimesAsync(c.Timestamp, ct).ConfigureAwait(false);
                var (weights, events) = await c.ReadWeightsAndEventsAsync(group, ct).ConfigureAwait(false);
                yield return new InteractionRowBatch(
                    file.Path,
                    group.FirstRow,
                    c.UserKind,
                    c.ItemKind,
                    users,
                    items,
                    times,
                    c.Timestamp.Type == ColumnType.Timestamp,
                    weights,
                    events,
                    extra
                );
            }
        }
    }

    /// <summary>The interactions columns of one file, checked by name and type.</summary>
    private sealed record InteractionColumns(
        SourceColumn UserId,
        SourceColumn ItemId,
        SourceColumn Timestamp,
        SourceColumn? Weight,
        SourceColumn? EventType,
        IdKind UserKind,
        IdKind ItemKind
    )
    {
        public static readonly HashSet<string> Known = new(StringComparer.Ordinal)
        {
            Schema.Input.UserId,
            Schema.Input.ItemId,
            Schema.Input.Timestamp,
            Schema.Input.Weight,
            Schema.Input.EventType,
        };

        public static InteractionColumns Of(ParquetSource source, KindAgreement kinds)
        {
            var userId = RequireId(source, Schema.Input.UserId);
            var itemId = RequireId(source, Schema.Input.ItemId);
            var timestamp = source.Require(
                Schema.Input.Timestamp,
                "int64 epoch seconds or timestamp",
                ColumnType.Int64,
                ColumnType.Int32,
                ColumnType.Timestamp
            );
            var weight = source.Optional(
                Schema.Input.Weight,
                WeightTypes,
                ColumnType.Float,
                ColumnType.Double,
                ColumnType.Int32,
                ColumnType.Int64,
                ColumnType.Int16,
                ColumnType.Int8,
                ColumnType.UInt8,
                ColumnType.UInt16,
                ColumnType.UInt32,
                ColumnType.UInt64
            );
            var eventType = source.Optional(Schema.Input.EventType, "string", ColumnType.String);
            return new InteractionColumns(
                userId,
                itemId,
                timestamp,
                weight,
                eventType,
                kinds.Check(Schema.Input.UserId, KindOf(userId), source.Path),
                kinds.Check(Schema.Input.ItemId, KindOf(itemId), source.Path)
            );
        }

        public async Task<(float[] Weights, string?[] Events)> ReadWeightsAndEventsAsync(
            ParquetSource.RowGroup group,
            CancellationToken ct
        )
        {
            var weights = Weight is null
                ? Ones(group.Rows)
                : await group.ReadFloatsAsync(Weight, 1f, ct).ConfigureAwait(false);
            var events = EventType is null
                ? new string?[group.Rows]
                : await group.ReadStringsAsync(EventType, ct).ConfigureAwait(false);
            return (weights, events);
        }
    }

    /// <summary>
    /// Reads all items: item_id (string, int64 or int32), optional title and text (string), optional tags
    /// (list&lt;string&gt;, or one string of '|'-joined tags; entries trimmed, empty ones dropped; absent gives empty arrays).
    /// Rows are kept in file order, duplicates included. With no files: <see cref="IdKind.String"/> and no rows.
    /// </summary>
    /// <exception cref="InputFormatException">As for <see cref="ReadInteractionsAsync"/>.</exception>
    public static async Task<ItemRows> ReadItemsAsync(
        IReadOnlyList<InputFileInfo> files,
        CancellationToken ct = default
    )
    {
        ArgumentNullException.ThrowIfNull(files);
        var kinds = new KindAgreement();
        var ids = new List<string>();
        var titles = new List<string?>();
        var texts = new List<string?>();
        var tags = new List<string[]>();
        var embeddings = new List<float[]?>();
        var anyEmbedding = false;
        var starts = new List<int>();
        IdKind? kind = null;
        foreach (var file in files)
        {
            starts.Add(ids.Count);
            await using var source = await ParquetSource.OpenAsync(file.Path, ct).ConfigureAwait(false);
            var itemId = RequireId(source, Schema.Input.ItemId);
            var embedding = source.Optional(
                Schema.Input.Embedding,
                "list<float> or list<double>",
                ColumnType.FloatList
            );
            anyEmbedding |= embedding is not null;
            var title = source.Optional(Schema.Input.Title, "string", ColumnType.String);
            var text = source.Optional(Schema.Input.Text, "string", ColumnType.String);
            var tagColumn = source.Optional(
                Schema.Input.Tags,
                "list<string> or a '|'-joined string",
                ColumnType.StringList,
                ColumnType.String
            );
            kind = kinds.Check(Schema.Input.ItemId, KindOf(itemId), file.Path);

            foreach (var group in source.RowGroups())
            {
                ct.ThrowIfCancellationRequested();
                ids.AddRange(await group.ReadIdsAsync(itemId, ct).ConfigureAwait(false));
                titles.AddRange(
                    title is null
                        ? new string?[group.Rows]
                        : await group.ReadStringsAsync(title, ct).ConfigureAwait(false)
                );
                texts.AddRange(
                    text is null
                        ? new string?[group.Rows]
                        : await group.ReadStringsAsync(text, ct).ConfigureAwait(false)
                );
                tags.AddRange(await ReadTagsAsync(group, tagColumn, ct).ConfigureAwait(false));
                embeddings.AddRange(
                    embedding is null
                        ? new float[]?[group.Rows]
                        : await group.ReadFloatListsAsync(embedding, ct).ConfigureAwait(false)
                );
            }
        }
        return new ItemRows(
            kind ?? IdKind.String,
            ids.ToArray(),
            titles.ToArray(),
            texts.ToArray(),
            tags.ToArray(),
            anyEmbedding ? embeddings.ToArray() : null,
            files.Select(f => f.Path).ToArray(),
            starts.ToArray()
        );
    }

    /// <summary>
    /// Reads all users: user_id (string, int64 or int32), optional text (string). With no files:
    /// <see cref="IdKind.String"/> and no rows.
    /// </summary>
    /// <exception cref="InputFormatException">As for <see cref="ReadInteractionsAsync"/>.</exception>
    public static async Task<UserRows> ReadUsersAsync(
        IReadOnlyList<InputFileInfo> files,
        CancellationToken ct = default
    )
    {
        ArgumentNullException.ThrowIfNull(files);
        var kinds = new KindAgreement();
        var ids = new List<string>();
        var texts = new List<string?>();
        IdKind? kind = null;
        foreach (var file in files)
        {
            await using var source = await ParquetSource.OpenAsync(file.Path, ct).ConfigureAwait(false);
            var userId = RequireId(source, Schema.Input.UserId);
            var text = source.Optional(Schema.Input.Text, "string", ColumnType.String);
            kind = kinds.Check(Schema.Input.UserId, KindOf(userId), file.Path);

            foreach (var group in source.RowGroups())
            {
                ct.ThrowIfCancellationRequested();
                ids.AddRange(await group.ReadIdsAsync(userId, ct).ConfigureAwait(false));
                texts.AddRange(
                    text is null
                        ? new string?[group.Rows]
                        : await group.ReadStringsAsync(text, ct).ConfigureAwait(false)
                );
            }
        }
        return new UserRows(kind ?? IdKind.String, ids.ToArray(), texts.ToArray());
    }

    private static async Task<string[][]> ReadTagsAsync(
        ParquetSource.RowGroup group,
        SourceColumn? column,
        CancellationToken ct
    )
    {
        if (column is null)
            return Enumerable.Repeat(Array.Empty<string>(), group.Rows).ToArray();
        if (column.Type == ColumnType.StringList)
            return Array.ConvertAll(await group.ReadStringListsAsync(column, ct).ConfigureAwait(false), CleanTags);
        var joined = await group.ReadStringsAsync(column, ct).ConfigureAwait(false);
        return Array.ConvertAll(joined, s => s is null ? [] : CleanTags(s.Split('|')));
    }

    private static string[] CleanTags(string[] tags) => tags.Select(t => t.Trim()).Where(t => t.Length > 0).ToArray();

    private static SourceColumn RequireId(ParquetSource source, string name) =>
        source.Require(name, IdTypes, ColumnType.String, ColumnType.Int64, ColumnType.Int32);

    private static IdKind KindOf(SourceColumn id) =>
        id.Type switch
        {
            ColumnType.String => IdKind.String,
            ColumnType.Int32 => IdKind.Int32,
            _ => IdKind.Int64,
        };

    private static float[] Ones(int n)
    {
        var ones = new float[n];
        Array.Fill(ones, 1f);
        return ones;
    }

    /// <summary>
    /// Remembers the id kind of each column and the file that set it; a later file must agree on strings or integers
    /// (int32 and int64 files mix: the table's kind is then int64). Returns the table's kind so far.
    /// </summary>
    private sealed class KindAgreement
    {
        private readonly Dictionary<string, (IdKind Kind, string File)> _seen = new(StringComparer.Ordinal);

        public IdKind Check(string column, IdKind kind, string file)
        {
            if (!_seen.TryGetValue(column, out var first))
            {
                _seen[column] = (kind, file);
                return kind;
            }
            if (IdKinds.IsInteger(first.Kind) != IdKinds.IsInteger(kind))
                throw InputFormatException.InFile(
                    file,
                    $"ids are {Name(kind)} here but {Name(first.Kind)} in {first.File}; all files of a table must agree",
                    column
                );
            var widened = IdKinds.Widen(first.Kind, kind);
            _seen[column] = (widened, first.File);
            return widened;
        }

        private static string Name(IdKind kind) => kind == IdKind.String ? "strings" : "integers";
    }
}
