using System.Buffers;
using Parquet;
using Parquet.Schema;

namespace BatchRec.Jobs.Io;

/// <summary>Shared pieces of the Parquet writers: file creation, string columns, and write-then-rename.</summary>
internal static class ParquetOutput
{
    /// <summary>Snappy, as the library defaults; set explicitly so output does not change with library defaults.</summary>
    internal static readonly ParquetOptions WriteOptions = new() { CompressionMethod = CompressionMethod.Snappy };

    /// <summary>
    /// The interactions table as the importers and the synthetic generator write it: user_id, item_id and timestamp
    /// int64, weight float, event_type a required string.
    /// </summary>
    internal static (
        DataField UserId,
        DataField ItemId,
        DataField Timestamp,
        DataField Weight,
        DataField EventType,
        ParquetSchema Schema
    ) InteractionFields()
    {
        var userId = new DataField<long>(BatchRec.Core.Schema.Input.UserId);
        var itemId = new DataField<long>(BatchRec.Core.Schema.Input.ItemId);
        var timestamp = new DataField<long>(BatchRec.Core.Schema.Input.Timestamp);
        var weight = new DataField<float>(BatchRec.Core.Schema.Input.Weight);
        var eventType = RequiredString(BatchRec.Core.Schema.Input.EventType);
        return (
            userId,
            itemId,
            timestamp,
            weight,
            eventType,
            new ParquetSchema(userId, itemId, timestamp, weight, eventType)
        );
    }

    /// <summary>A required (non-nullable) string field.</summary>
    internal static DataField RequiredString(string name) => new DataField<string>(name, false);

    /// <summary>
    /// Writes <paramref name="count"/> strings as the next column, row i = <paramref name="value"/>(i) (must not be
    /// null; a null is reported as row <paramref name="firstRow"/> + i), through a pooled buffer of character memories
    /// (no string copied).
    /// </summary>
    internal static async Task WriteCharsAsync(
        ParquetRowGroupWriter group,
        DataField field,
        int count,
        Func<int, string> value,
        CancellationToken ct,
        int firstRow = 0
    )
    {
        var chars = ArrayPool<ReadOnlyMemory<char>>.Shared.Rent(count);
        try
        {
            for (int i = 0; i < count; i++)
                chars[i] = (
                    value(i)
                    ?? throw new ArgumentException($"column '{field.Name}' row {firstRow + i} is null", nameof(value))
                ).AsMemory();
            await group
                .WriteAsync<ReadOnlyMemory<char>>(field, chars.AsMemory(0, count), cancellationToken: ct)
                .ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<ReadOnlyMemory<char>>.Shared.Return(chars, clearArray: true);
        }
    }

    /// <summary>
    /// Writes <paramref name="count"/> non-null strings from <paramref name="offset"/> as the next column.
    /// </summary>
    internal static Task WriteStringsAsync(
        ParquetRowGroupWriter group,
        DataField field,
        string[] values,
        int offset,
        int count,
        CancellationToken ct
    ) => WriteCharsAsync(group, field, count, i => values[offset + i], ct, offset);

    /// <summary>Writes one string repeated <paramref name="count"/> times as the next column (dictionary-encoded on disk).</summary>
    internal static Task WriteConstantAsync(
        ParquetRowGroupWriter group,
        DataField field,
        string value,
        int count,
        CancellationToken ct
    )
    {
        ArgumentNullException.ThrowIfNull(value);
        return WriteCharsAsync(group, field, count, _ => value, ct);
    }

    /// <summary>
    /// Writes a file through a temporary sibling and renames it onto <paramref name="path"/> (creating the folder),
    /// so readers never see a half-written file and a failure leaves any previous file in place.
    /// </summary>
    internal static async Task WriteAtomicallyAsync(string path, Func<Stream, Task> write)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = $"{full}.{Guid.NewGuid():N}.tmp";
        try
        {
            await using (
                var stream = new FileStream(
                    temp,
                    FileMode.CreateNew,
                    FileAccess.ReadWrite,
                    FileShare.None,
                    1 << 16,
                    useAsync: true
                )
            )
                await write(stream).ConfigureAwait(false);
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
                File.Delete(temp);
        }
    }
}
