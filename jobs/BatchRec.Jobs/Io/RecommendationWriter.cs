using System.Globalization;
using BatchRec.Core;
using Parquet;
using Parquet.Schema;

namespace BatchRec.Jobs.Io;

/// <summary>
/// The external ids of an id map in the type the output tables store them as: int64 or int32 (parsed once, here) or
/// strings. Lets a writer turn dense indices into id columns without formatting or parsing per row.
/// </summary>
public sealed class OutputIds
{
    private OutputIds(IdKind kind, long[]? longs, int[]? ints, string[]? strings, int count) =>
        (Kind, _longs, _ints, _strings, Count) = (kind, longs, ints, strings, count);

    private readonly long[]? _longs;
    private readonly int[]? _ints;
    private readonly string[]? _strings;

    public IdKind Kind { get; }

    /// <summary>Number of ids (= the map's size).</summary>
    public int Count { get; }

    /// <summary>The ids of <paramref name="map"/> in the column type of <paramref name="kind"/>.</summary>
    /// <exception cref="ArgumentException">An id that is not an int64 (int32) when <paramref name="kind"/> is Int64 (Int32).</exception>
    public static OutputIds Of(IdMap map, IdKind kind, string what)
    {
        ArgumentNullException.ThrowIfNull(map);
        var ids = map.Ids;
        if (kind == IdKind.String)
            return new OutputIds(kind, null, null, ids, ids.Length);
        var longs = new long[ids.Length];
        var name = kind == IdKind.Int32 ? "int32" : "int64";
        for (var i = 0; i < ids.Length; i++)
            if (
                !TryParseInt64(ids[i], out longs[i])
                || (kind == IdKind.Int32 && longs[i] is < int.MinValue or > int.MaxValue)
            )
                throw new ArgumentException(
                    $"{what} id '{ids[i]}' (index {i}) is not an {name} id, but the table stores {what} ids as {name}",
                    nameof(map)
                );
        if (kind == IdKind.Int64)
            return new OutputIds(kind, longs, null, null, ids.Length);
        return new OutputIds(kind, null, Array.ConvertAll(longs, v => (int)v), null, ids.Length);
    }

    /// <summary>
    /// long.TryParse with a leading sign allowed, invariant culture: a sign and up to 18 digits are read directly
    /// (they cannot overflow); anything else goes to long.TryParse itself, so the accepted ids are exactly its.
    /// </summary>
    public static bool TryParseInt64(string s, out long value)
    {
        var i = s.Length > 0 && (s[0] == '-' || s[0] == '+') ? 1 : 0;
        var digits = s.Length - i;
        if (digits is > 0 and <= 18)
        {
            long v = 0;
            for (var p = i; p < s.Length; p++)
            {
                var d = (uint)(s[p] - '0');
                if (d > 9)
                    return long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
                v = v * 10 + d;
            }
            value = s[0] == '-' ? -v : v;
            return true;
        }
        return long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
    }

    internal long[] Longs => _longs ?? throw new InvalidOperationException($"{Kind} ids");
    internal int[] Ints => _ints ?? throw new InvalidOperationException($"{Kind} ids");
    internal string[] Strings => _strings ?? throw new InvalidOperationException($"{Kind} ids");
}

/// <summary>
/// Writes the recommendations table, streaming one row group per <see cref="WriteAsync"/> call. Schema:
/// user_id (int64, int32 or string per kind), rank int32, item_id (int64, int32 or string per kind), score float, model string,
/// run_id string, reason_item_id (item id kind, nullable: the history item that explains the row), reason_kind
/// string (how the reason was chosen: "embedding-cosine" or "none"), cold_start boolean (the item had no training
/// interaction: it is recommended from its text and attributes); all required except reason_item_id.
/// Dispose to finish the file (its footer is written then).
/// </summary>
public sealed class RecommendationWriter : IAsyncDisposable
{
    private readonly FileStream _stream;
    private readonly ParquetWriter _writer;
    private readonly IdKind _userIdKind;
    private readonly IdKind _itemIdKind;
    private readonly DataField _userId,
        _rank,
        _itemId,
        _score,
        _model,
        _runId,
        _reasonId,
        _reasonKind,
        _coldStart;
    private bool _disposed;

    private RecommendationWriter(
        FileStream stream,
        ParquetWriter writer,
        IdKind userIdKind,
        IdKind itemIdKind,
        DataField[] fields
    )
    {
        _stream = stream;
        _writer = writer;
        _userIdKind = userIdKind;
        _itemIdKind = itemIdKind;
        (_userId, _rank, _itemId, _score, _model, _runId) = (
            fields[0],
            fields[1],
            fields[2],
            fields[3],
            fields[4],
            fields[5]
        );
        (_reasonId, _reasonKind, _coldStart) = (fields[6], fields[7], fields[8]);
    }

    /// <summary>Rows written so far.</summary>
    public long Rows { get; private set; }

    /// <summary>Creates (or replaces) the file at <paramref name="path"/>, creating its folder.</summary>
    public static async Task<RecommendationWriter> CreateAsync(
        string path,
        IdKind userIdKind,
        IdKind itemIdKind,
        CancellationToken ct = default
    )
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        DataField[] fields =
        [
            IdField(Schema.Input.UserId, userIdKind),
            new DataField<int>(Schema.Output.Rank),
            IdField(Schema.Input.ItemId, itemIdKind),
            new DataField<float>(Schema.Output.Score),
            ParquetOutput.RequiredString(Schema.Output.Model),
            ParquetOutput.RequiredString(Schema.Output.RunId),
            itemIdKind switch
            {
                IdKind.Int64 => new DataField<long?>(Schema.Output.ReasonItemId),
                IdKind.Int32 => new DataField<int?>(Schema.Output.ReasonItemId),
                _ => new DataField<string>(Schema.Output.ReasonItemId, true),
            },
            ParquetOutput.RequiredString(Schema.Output.ReasonKind),
            new DataField<bool>(Schema.Output.ColdStart),
        ];
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var stream = new FileStream(
            path,
            FileMode.Create,
            FileAccess.ReadWrite,
            FileShare.None,
            1 << 16,
            useAsync: true
        );
        try
        {
            var writer = await ParquetWriter
                .CreateAsync(new ParquetSchema(fields), stream, ParquetOutput.WriteOptions, false, ct)
                .ConfigureAwait(false);
            return new RecommendationWriter(stream, writer, userIdKind, itemIdKind, fields);
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Writes one row group from dense indices: row p is user <paramref name="userRows"/>[p] of <paramref name="users"/>,
    /// item <paramref name="itemRows"/>[p] of <paramref name="items"/>, and reason item <paramref name="reasonRows"/>[p]
    /// of <paramref name="items"/> (-1 = no reason, null in the table). The id columns are gathered from the
    /// pre-converted ids, so no id is formatted or parsed per row. An empty call writes nothing.
    /// </summary>
    /// <exception cref="ArgumentException">Arrays of different lengths, id tables of another kind than the file's, or an index outside them.</exception>
    public Task WriteAsync(
        OutputIds users,
        int[] userRows,
        int[] ranks,
        OutputIds items,
        int[] itemRows,
        float[] scores,
        int[] reasonRows,
        string reasonKind,
        bool[] coldStart,
        string model,
        string runId,
        CancellationToken ct = default
    ) =>
        WriteAsync(
            users,
            userRows,
            ranks,
            items,
            itemRows,
            scores,
            Task.FromResult(reasonRows ?? throw new ArgumentNullException(nameof(reasonRows))),
            reasonKind,
            coldStart,
            model,
            runId,
            ct
        );

    /// <summary>
    /// As the overload above, with the reason items still being computed: the columns before reason_item_id are
    /// written first (so the encoding overlaps the computation), then <paramref name="reasonRows"/> is awaited. A
    /// reason index outside the items then fails the call with the row group unfinished (the file is unusable, as
    /// after any failure mid-file). A call that fails before it has awaited <paramref name="reasonRows"/> still waits
    /// for them before it throws its own exception, so no reasons computation outlives a failed write.
    /// </summary>
    public async Task WriteAsync(
        OutputIds users,
        int[] userRows,
        int[] ranks,
        OutputIds items,
        int[] itemRows,
        float[] scores,
        Task<int[]> reasonRows,
        string reasonKind,
        bool[] coldStart,
        string model,
        string runId,
        CancellationToken ct = default
    )
    {
        ArgumentNullException.ThrowIfNull(reasonRows);
        try
        {
            await WriteRowGroupAsync(
                    users,
                    userRows,
                    ranks,
                    items,
                    itemRows,
                    scores,
                    reasonRows,
                    reasonKind,
                    coldStart,
                    model,
                    runId,
                    ct
                )
                .ConfigureAwait(false);
        }
        catch
        {
            // a failure before the reasons were awaited: wait for them anyway, so that no reasons computation runs on
            // after the write has failed and their task does not end unobserved; the write's exception is the one
            // reported (a failure of the reasons themselves is secondary here)
            try
            {
                await reasonRows.ConfigureAwait(false);
            }
            catch (Exception) when (!reasonRows.IsCompletedSuccessfully) { }
            throw;
        }
    }

    private async Task WriteRowGroupAsync(
        OutputIds users,
        int[] userRows,
        int[] ranks,
        OutputIds items,
        int[] itemRows,
        float[] scores,
        Task<int[]> reasonRows,
        string reasonKind,
        bool[] coldStart,
        string model,
        string runId,
        CancellationToken ct
    )
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(users);
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(userRows);
        ArgumentNullException.ThrowIfNull(ranks);
        ArgumentNullException.ThrowIfNull(itemRows);
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(reasonKind);
        ArgumentNullException.ThrowIfNull(coldStart);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(runId);
        if (users.Kind != _userIdKind || items.Kind != _itemIdKind)
            throw new ArgumentException(
                $"id kinds {users.Kind}/{items.Kind} differ from the file's {_userIdKind}/{_itemIdKind}"
            );
        int n = userRows.Length;
        if (ranks.Length != n || itemRows.Length != n || scores.Length != n || coldStart.Length != n)
            throw new ArgumentException(
                $"column lengths differ: {nameof(userRows)} {n}, {nameof(ranks)} {ranks.Length}, {nameof(itemRows)} {itemRows.Length}, {nameof(scores)} {scores.Length}, {nameof(coldStart)} {coldStart.Length}"
            );
        for (var p = 0; p < n; p++)
            if ((uint)userRows[p] >= (uint)users.Count || (uint)itemRows[p] >= (uint)items.Count)
                throw new ArgumentException(
                    $"row {p}: user index {userRows[p]} or item index {itemRows[p]} is outside the id tables ({users.Count} users, {items.Count} items)"
                );
        if (n == 0)
        {
            if ((await reasonRows.ConfigureAwait(false)).Length != 0)
                throw new ArgumentException("reasons for an empty row group");
            return;
        }

        using (var group = _writer.CreateRowGroup())
        {
            await WriteGatheredAsync(group, _userId, users, userRows, ct).ConfigureAwait(false);
            await group.WriteAsync<int>(_rank, ranks, cancellationToken: ct).ConfigureAwait(false);
            await WriteGatheredAsync(group, _itemId, items, itemRows, ct).ConfigureAwait(false);
            await group.WriteAsync<float>(_score, scores, cancellationToken: ct).ConfigureAwait(false);
            await ParquetOutput.WriteConstantAsync(group, _model, model, n, ct).ConfigureAwait(false);
            await ParquetOutput.WriteConstantAsync(group, _runId, runId, n, ct).ConfigureAwait(false);
            var reasonRowsDone = await reasonRows.ConfigureAwait(false);
            if (reasonRowsDone.Length != n)
                throw new ArgumentException(
                    $"{nameof(reasonRows)} has {reasonRowsDone.Length} rows, the row group {n}"
                );
            for (var p = 0; p < n; p++)
                if (reasonRowsDone[p] < -1 || reasonRowsDone[p] >= items.Count)
                    throw new ArgumentException(
                        $"row {p}: reason index {reasonRowsDone[p]} is outside the item ids ({items.Count})"
                    );
            if (_itemIdKind == IdKind.Int64)
            {
                var ids = items.Longs;
                var reasons = new long?[n];
                for (var p = 0; p < n; p++)
                    if (reasonRowsDone[p] >= 0)
                        reasons[p] = ids[reasonRowsDone[p]];
                await group.WriteAsync<long>(_reasonId, reasons, null).ConfigureAwait(false);
            }
            else if (_itemIdKind == IdKind.Int32)
            {
                var ids = items.Ints;
                var reasons = new int?[n];
                for (var p = 0; p < n; p++)
                    if (reasonRowsDone[p] >= 0)
                        reasons[p] = ids[reasonRowsDone[p]];
                await group.WriteAsync<int>(_reasonId, reasons, null).ConfigureAwait(false);
            }
            else
            {
                var ids = items.Strings;
                var reasons = new string?[n];
                for (var p = 0; p < n; p++)
                    if (reasonRowsDone[p] >= 0)
                        reasons[p] = ids[reasonRowsDone[p]];
                await group.WriteAsync(_reasonId, reasons).ConfigureAwait(false);
            }
            await ParquetOutput.WriteConstantAsync(group, _reasonKind, reasonKind, n, ct).ConfigureAwait(false);
            await group.WriteAsync<bool>(_coldStart, coldStart, cancellationToken: ct).ConfigureAwait(false);
            group.CompleteValidate();
        }
        Rows += n;
    }

    /// <summary>Writes the ids of <paramref name="rows"/> (indices into <paramref name="ids"/>) as the next column.</summary>
    internal static async Task WriteGatheredAsync(
        ParquetRowGroupWriter group,
        DataField field,
        OutputIds ids,
        int[] rows,
        CancellationToken ct
    )
    {
        if (ids.Kind == IdKind.Int64)
        {
            var all = ids.Longs;
            var column = new long[rows.Length];
            for (var p = 0; p < rows.Length; p++)
                column[p] = all[rows[p]];
            await group.WriteAsync<long>(field, column, cancellationToken: ct).ConfigureAwait(false);
        }
        else if (ids.Kind == IdKind.Int32)
        {
            var all = ids.Ints;
            var column = new int[rows.Length];
            for (var p = 0; p < rows.Length; p++)
                column[p] = all[rows[p]];
            await group.WriteAsync<int>(field, column, cancellationToken: ct).ConfigureAwait(false);
        }
        else
        {
            var all = ids.Strings;
            await ParquetOutput.WriteCharsAsync(group, field, rows.Length, p => all[rows[p]], ct).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
            return;
        _disposed = true;
        try
        {
            await _writer.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            await _stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>An id column in the output type of <paramref name="kind"/> (required).</summary>
    internal static DataField IdField(string name, IdKind kind) =>
        kind switch
        {
            IdKind.Int64 => new DataField<long>(name),
            IdKind.Int32 => new DataField<int>(name),
            _ => ParquetOutput.RequiredString(name),
        };
}
