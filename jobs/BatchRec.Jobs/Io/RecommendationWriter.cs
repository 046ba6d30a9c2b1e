using BatchRec.Core;
using System.Globalization;
using Parquet;
using Parquet.Schema;

namespace BatchRec.Jobs.Io;

/// <summary>
/// Writes the recommendations table, streaming one row group per <see cref="WriteAsync"/> call. Schema:
/// user_id (int64 or string per kind), rank int32, item_id (int64 or string per kind), score float, model string,
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
    private readonly DataField _userId, _rank, _itemId, _score, _model, _runId, _reasonId, _reasonKind, _coldStart;
    private bool _disposed;

    private RecommendationWriter(FileStream stream, ParquetWriter writer, IdKind userIdKind, IdKind itemIdKind, DataField[] fields)
    {
        _stream = stream;
        _writer = writer;
        _userIdKind = userIdKind;
        _itemIdKind = itemIdKind;
        (_userId, _rank, _itemId, _score, _model, _runId) = (fields[0], fields[1], fields[2], fields[3], fields[4], fields[5]);
        (_reasonId, _reasonKind, _coldStart) = (fields[6], fields[7], fields[8]);
    }

    /// <summary>Rows written so far.</summary>
    public long Rows { get; private set; }

    /// <summary>Creates (or replaces) the file at <paramref name="path"/>, creating its folder.</summary>
    public static async Task<RecommendationWriter> CreateAsync(string path, IdKind userIdKind, IdKind itemIdKind, CancellationToken ct = default)
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
            itemIdKind == IdKind.Int64 ? new DataField<long?>(Schema.Output.ReasonItemId) : new DataField<string>(Schema.Output.ReasonItemId, true),
            ParquetOutput.RequiredString(Schema.Output.ReasonKind),
            new DataField<bool>(Schema.Output.ColdStart),
        ];
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var stream = new FileStream(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16, useAsync: true);
        try
        {
            var writer = await ParquetWriter.CreateAsync(new ParquetSchema(fields), stream, ParquetOutput.WriteOptions, false, ct).ConfigureAwait(false);
            return new RecommendationWriter(stream, writer, userIdKind, itemIdKind, fields);
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Writes one row group. Ids are given as strings and stored as int64 when their kind is <see cref="IdKind.Int64"/>.
    /// An empty call writes nothing.
    /// </summary>
    /// <exception cref="ArgumentException">Arrays of different lengths, a null string, or an id that is not an int64.</exception>
    /// <summary>
    /// Writes one row group with explanations: <paramref name="reasonIds"/> (null = no reason), how they were chosen,
    /// and each row's cold-start flag. An empty call writes nothing.
    /// </summary>
    public async Task WriteAsync(string[] userIds, int[] ranks, string[] itemIds, float[] scores, string?[] reasonIds, string reasonKind, bool[] coldStart,
        string model, string runId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(reasonIds);
        ArgumentNullException.ThrowIfNull(reasonKind);
        ArgumentNullException.ThrowIfNull(coldStart);
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(userIds);
        ArgumentNullException.ThrowIfNull(ranks);
        ArgumentNullException.ThrowIfNull(itemIds);
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(runId);
        int n = userIds.Length;
        if (ranks.Length != n || itemIds.Length != n || scores.Length != n || reasonIds.Length != n || coldStart.Length != n)
            throw new ArgumentException($"column lengths differ: {nameof(userIds)} {n}, {nameof(ranks)} {ranks.Length}, {nameof(itemIds)} {itemIds.Length}, {nameof(scores)} {scores.Length}");
        if (n == 0) return;

        // Parse ids before starting the row group, so bad input leaves the file's row groups intact.
        var userLongs = _userIdKind == IdKind.Int64 ? ParseIds(userIds, nameof(userIds)) : null;
        var itemLongs = _itemIdKind == IdKind.Int64 ? ParseIds(itemIds, nameof(itemIds)) : null;
        long?[]? reasonLongs = null;
        if (_itemIdKind == IdKind.Int64)
        {
            reasonLongs = new long?[n];
            for (var i = 0; i < n; i++)
                if (reasonIds[i] is { } r)
                    reasonLongs[i] = long.TryParse(r, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v)
                        ? v : throw new ArgumentException($"{nameof(reasonIds)}[{i}] = '{r}' is not an int64 id", nameof(reasonIds));
        }

        using (var group = _writer.CreateRowGroup())
        {
            await WriteIdsAsync(group, _userId, userIds, userLongs, ct).ConfigureAwait(false);
            await group.WriteAsync<int>(_rank, ranks, cancellationToken: ct).ConfigureAwait(false);
            await WriteIdsAsync(group, _itemId, itemIds, itemLongs, ct).ConfigureAwait(false);
            await group.WriteAsync<float>(_score, scores, cancellationToken: ct).ConfigureAwait(false);
            await ParquetOutput.WriteConstantAsync(group, _model, model, n, ct).ConfigureAwait(false);
            await ParquetOutput.WriteConstantAsync(group, _runId, runId, n, ct).ConfigureAwait(false);
            if (reasonLongs is not null) await group.WriteAsync<long>(_reasonId, reasonLongs, null).ConfigureAwait(false);
            else await group.WriteAsync(_reasonId, reasonIds).ConfigureAwait(false);
            await ParquetOutput.WriteConstantAsync(group, _reasonKind, reasonKind, n, ct).ConfigureAwait(false);
            await group.WriteAsync<bool>(_coldStart, coldStart, cancellationToken: ct).ConfigureAwait(false);
            group.CompleteValidate();
        }
        Rows += n;
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
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

    private static DataField IdField(string name, IdKind kind) =>
        kind == IdKind.Int64 ? new DataField<long>(name) : ParquetOutput.RequiredString(name);

    private static Task WriteIdsAsync(ParquetRowGroupWriter group, DataField field, string[] ids, long[]? longs, CancellationToken ct) =>
        longs is null
            ? ParquetOutput.WriteStringsAsync(group, field, ids, 0, ids.Length, ct)
            : group.WriteAsync<long>(field, longs, cancellationToken: ct);

    private static long[] ParseIds(string[] ids, string parameter)
    {
        var result = new long[ids.Length];
        for (int i = 0; i < ids.Length; i++)
        {
            if (!long.TryParse(ids[i], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out result[i]))
                throw new ArgumentException($"{parameter}[{i}] = '{ids[i]}' is not an int64 id", parameter);
        }
        return result;
    }
}
