using BatchRec.Core;
using BatchRec.Jobs.Io;
using Parquet;
using Parquet.Schema;

namespace BatchRec.Jobs.Ingest;

/// <summary>One quarantined input row: its values as read, as strings (null where the file held null), where it came from, and why.</summary>
public sealed record QuarantineRow(
    string? UserId,
    string? ItemId,
    string? Timestamp,
    string? Weight,
    string? EventType,
    string SourceFile,
    long SourceRow,
    string? Partition,
    string Reason
);

/// <summary>
/// The quarantine table's Parquet files: user_id, item_id, timestamp, weight, event_type as nullable strings (so any bad
/// value fits; a Parquet timestamp is given as epoch seconds, an integer timestamp as stored), source_file string,
/// source_row int64 (0-based row in source_file), partition string (the dt= value, null outside dt= folders), reason string.
/// </summary>
public sealed class QuarantineWriter : IAsyncDisposable
{
    private static readonly DataField UserId = new DataField<string>(Schema.Quarantine.UserId, true);
    private static readonly DataField ItemId = new DataField<string>(Schema.Quarantine.ItemId, true);
    private static readonly DataField Timestamp = new DataField<string>(Schema.Quarantine.Timestamp, true);
    private static readonly DataField Weight = new DataField<string>(Schema.Quarantine.Weight, true);
    private static readonly DataField EventType = new DataField<string>(Schema.Quarantine.EventType, true);
    private static readonly DataField SourceFile = new DataField<string>(Schema.Quarantine.SourceFile, false);
    private static readonly DataField SourceRow = new DataField<long>(Schema.Quarantine.SourceRow, false);
    private static readonly DataField Partition = new DataField<string>(Schema.Quarantine.Partition, true);
    private static readonly DataField Reason = new DataField<string>(Schema.Quarantine.Reason, false);
    private static readonly ParquetSchema TableSchema = new(
        UserId,
        ItemId,
        Timestamp,
        Weight,
        EventType,
        SourceFile,
        SourceRow,
        Partition,
        Reason
    );

    private readonly string _path;
    private readonly string _temp;
    private readonly FileStream _stream;
    private readonly ParquetWriter _writer;
    private bool _completed;

    private QuarantineWriter(string path, string temp, FileStream stream, ParquetWriter writer)
    {
        _path = path;
        _temp = temp;
        _stream = stream;
        _writer = writer;
    }

    /// <summary>Rows written so far.</summary>
    public long Rows { get; private set; }

    /// <summary>Starts a file that becomes visible at <paramref name="path"/> only on <see cref="CompleteAsync"/>.</summary>
    public static async Task<QuarantineWriter> CreateAsync(string path, CancellationToken ct)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = $"{full}.{Guid.NewGuid():N}.tmp";
        var stream = new FileStream(
            temp,
            FileMode.CreateNew,
            FileAccess.ReadWrite,
            FileShare.None,
            1 << 16,
            useAsync: true
        );
        try
        {
            var writer = await ParquetWriter
                .CreateAsync(TableSchema, stream, ParquetOutput.WriteOptions, false, ct)
                .ConfigureAwait(false);
            return new QuarantineWriter(full, temp, stream, writer);
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>Writes the rows as one row group (nothing when empty).</summary>
    public async Task WriteAsync(IReadOnlyList<QuarantineRow> rows, CancellationToken ct)
    {
        if (rows.Count == 0)
            return;
        ct.ThrowIfCancellationRequested(); // the string column overloads take no token
        using var group = _writer.CreateRowGroup();
        await group.WriteAsync(UserId, rows.Select(r => r.UserId).ToArray()).ConfigureAwait(false);
        await group.WriteAsync(ItemId, rows.Select(r => r.ItemId).ToArray()).ConfigureAwait(false);
        await group.WriteAsync(Timestamp, rows.Select(r => r.Timestamp).ToArray()).ConfigureAwait(false);
        await group.WriteAsync(Weight, rows.Select(r => r.Weight).ToArray()).ConfigureAwait(false);
        await group.WriteAsync(EventType, rows.Select(r => r.EventType).ToArray()).ConfigureAwait(false);
        await group.WriteAsync(SourceFile, rows.Select(r => r.SourceFile).ToArray()).ConfigureAwait(false);
        await group
            .WriteAsync<long>(SourceRow, rows.Select(r => r.SourceRow).ToArray(), cancellationToken: ct)
            .ConfigureAwait(false);
        await group.WriteAsync(Partition, rows.Select(r => r.Partition).ToArray()).ConfigureAwait(false);
        await group.WriteAsync(Reason, rows.Select(r => r.Reason).ToArray()).ConfigureAwait(false);
        group.CompleteValidate();
        Rows += rows.Count;
    }

    /// <summary>Finishes the file and renames it into place.</summary>
    public async Task CompleteAsync()
    {
        await _writer.DisposeAsync().ConfigureAwait(false);
        await _stream.DisposeAsync().ConfigureAwait(false);
        File.Move(_temp, _path, overwrite: true);
        _completed = true;
    }

    public async ValueTask DisposeAsync()
    {
        if (_completed)
            return;
        await _writer.DisposeAsync().ConfigureAwait(false);
        await _stream.DisposeAsync().ConfigureAwait(false);
        if (File.Exists(_temp))
            File.Delete(_temp);
    }

    /// <summary>Reads a quarantine file back (for tests and tools).</summary>
    public static async Task<IReadOnlyList<QuarantineRow>> ReadAsync(string path, CancellationToken ct = default)
    {
        await using var source = await ParquetSource.OpenAsync(path, ct).ConfigureAwait(false);
        string?[] Col(string?[][] cols, int i) => cols[i];
        var rows = new List<QuarantineRow>();
        var names = new[]
        {
            Schema.Quarantine.UserId,
            Schema.Quarantine.ItemId,
            Schema.Quarantine.Timestamp,
            Schema.Quarantine.Weight,
            Schema.Quarantine.EventType,
            Schema.Quarantine.SourceFile,
            Schema.Quarantine.Partition,
            Schema.Quarantine.Reason,
        };
        var columns = names
            .Select(n => source.Find(n) ?? throw InputFormatException.InFile(path, "quarantine column is missing", n))
            .ToArray();
        var sourceRow = source.Require(Schema.Quarantine.SourceRow, "int64", ColumnType.Int64);
        foreach (var group in source.RowGroups())
        {
            var cols = new string?[columns.Length][];
            for (int c = 0; c < columns.Length; c++)
                cols[c] = await group.ReadStringsAsync(columns[c], ct).ConfigureAwait(false);
            var srcRows = await group.ReadRequiredAsync<long>(sourceRow, ct).ConfigureAwait(false);
            for (int r = 0; r < group.Rows; r++)
                rows.Add(
                    new QuarantineRow(
                        Col(cols, 0)[r],
                        Col(cols, 1)[r],
                        Col(cols, 2)[r],
                        Col(cols, 3)[r],
                        Col(cols, 4)[r],
                        Col(cols, 5)[r]!,
                        srcRows[r],
                        Col(cols, 6)[r],
                        Col(cols, 7)[r]!
                    )
                );
        }
        return rows;
    }
}
