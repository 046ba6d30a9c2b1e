using System.Globalization;
using System.Text;
using Parquet;
using Parquet.Schema;

namespace BatchRec.Jobs.Io;

/// <summary>The column types the readers tell apart; anything else is <see cref="Other"/>.</summary>
internal enum ColumnType
{
    String,
    Int32,
    Int64,

    /// <summary>The narrower and unsigned integers (read only as numbers, e.g. weights).</summary>
    Int8,
    Int16,
    UInt8,
    UInt16,
    UInt32,
    UInt64,
    Float,
    Double,
    Timestamp,
    StringList,

    /// <summary>list&lt;float&gt; or list&lt;double&gt; (vectors).</summary>
    FloatList,
    Other,
}

/// <summary>
/// A top-level column of an input file: its name, its type, that type in words, and the leaf holding its values
/// (null for types the readers never read, <see cref="ColumnType.Other"/>). A flat BYTE_ARRAY column without a
/// UTF-8 string annotation ("binary") is a <see cref="ColumnType.String"/> column whose bytes are decoded as strict
/// UTF-8 (<see cref="ParquetSource.RowGroup.ReadStringsAsync"/>).
/// </summary>
internal sealed record SourceColumn(string Name, ColumnType Type, string Found, DataField? Leaf);

/// <summary>
/// One open input Parquet file. Every failure, from a missing file to an undecodable page, surfaces as an
/// <see cref="InputFormatException"/> naming the file (and the column or row where one is at fault).
/// Nullable and required columns are read alike; a null where none is allowed names its row. Byte arrays are never
/// decoded leniently: an annotated string column is UTF-8 by contract, and an unannotated one (binary) is decoded
/// strictly, so bytes that are not UTF-8 fail naming their row instead of turning into U+FFFD, which would merge
/// distinct ids.
/// </summary>
internal sealed class ParquetSource : IAsyncDisposable
{
    // binary (unannotated BYTE_ARRAY) columns come back as bytes, decoded strictly here; annotated strings as chars
    private static readonly ParquetOptions ReadOptions = new() { TreatByteArrayAsString = false };
    private static readonly UTF8Encoding StrictUtf8 = new(
        encoderShouldEmitUTF8Identifier: false,
        throwOnInvalidBytes: true
    );
    private static ReadOnlySpan<byte> Magic => "PAR1"u8;

    private readonly ParquetReader _reader;

    private ParquetSource(string path, ParquetReader reader)
    {
        Path = path;
        _reader = reader;
    }

    public string Path { get; }

    /// <summary>Rows in the whole file, from its footer.</summary>
    public long Rows => _reader.Metadata?.NumRows ?? 0;

    public int RowGroupCount => _reader.RowGroupCount;

    public static async Task<ParquetSource> OpenAsync(string path, CancellationToken ct)
    {
        CheckMagic(path);
        try
        {
            var reader = await ParquetReader.CreateAsync(path, ReadOptions, ct).ConfigureAwait(false);
            return new ParquetSource(path, reader);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw InputFormatException.InFile(path, $"not a readable Parquet file ({e.Message})", inner: e);
        }
    }

    public ValueTask DisposeAsync() => _reader.DisposeAsync();

    /// <summary>Checks that the file exists, is not empty, and starts and ends with the Parquet magic bytes.</summary>
    private static void CheckMagic(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
            if (stream.Length == 0)
                throw InputFormatException.InFile(path, "file is empty (0 bytes); expected a Parquet file");
            Span<byte> head = stackalloc byte[4],
                tail = stackalloc byte[4];
            if (stream.Length < 12)
                throw InputFormatException.InFile(path, $"not a Parquet file (only {stream.Length} bytes)");
            stream.ReadExactly(head);
            stream.Seek(-4, SeekOrigin.End);
            stream.ReadExactly(tail);
            if (!head.SequenceEqual(Magic) || !tail.SequenceEqual(Magic))
                throw InputFormatException.InFile(
                    path,
                    "not a Parquet file (no PAR1 magic bytes at its start and end)"
                );
        }
        catch (IOException e)
        {
            throw InputFormatException.InFile(path, $"cannot read file ({e.Message})", inner: e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw InputFormatException.InFile(path, $"cannot read file ({e.Message})", inner: e);
        }
    }

    /// <summary>The top-level column named <paramref name="name"/> (ordinal match), or null if the file has none.</summary>
    public SourceColumn? Find(string name)
    {
        var field = _reader.Schema.Fields.FirstOrDefault(f => f.Name == name);
        if (field is null)
            return null;
        var (leaf, type) = Classify(field);
        return new SourceColumn(name, type, Describe(field), leaf);
    }

    /// <summary>All top-level columns, in schema order.</summary>
    public IReadOnlyList<SourceColumn> AllColumns() => _reader.Schema.Fields.Select(f => Find(f.Name)!).ToArray();

    /// <summary>The column, which must exist and have one of the <paramref name="allowed"/> types.</summary>
    public SourceColumn Require(string name, string expected, params ColumnType[] allowed) =>
        Optional(name, expected, allowed)
        ?? throw InputFormatException.InFile(
            Path,
            $"required column is missing (expected {expected}); "
                + $"the file has: {string.Join(", ", _reader.Schema.Fields.Select(f => f.Name))}",
            name
        );

    /// <summary>The column if it exists; then it must have one of the <paramref name="allowed"/> types.</summary>
    public SourceColumn? Optional(string name, string expected, params ColumnType[] allowed)
    {
        var column = Find(name);
        if (column is not null && !allowed.Contains(column.Type))
            throw InputFormatException.InFile(Path, $"wrong type: expected {expected}, found {column.Found}", name);
        return column;
    }

    /// <summary>Row groups in file order, each with the 0-based file row of its first row.</summary>
    public IEnumerable<RowGroup> RowGroups()
    {
        long firstRow = 0;
        for (int i = 0; i < _reader.RowGroupCount; i++)
        {
            var group = _reader.OpenRowGroupReader(i);
            if (group.RowCount > Array.MaxLength)
                throw InputFormatException.InFile(
                    Path,
                    $"row group {i} has {group.RowCount} rows, more than one array can hold"
                );
            yield return new RowGroup(this, group, i, firstRow, (int)group.RowCount);
            firstRow += group.RowCount;
        }
    }

    /// <summary>One row group of this file; the Read methods return one entry per row.</summary>
    internal sealed class RowGroup(
        ParquetSource source,
        ParquetRowGroupReader group,
        int index,
        long firstRow,
        int rows
    )
    {
        /// <summary>0-based index of the row group in its file.</summary>
        public int Index { get; } = index;
        public long FirstRow { get; } = firstRow;
        public int Rows { get; } = rows;

        /// <summary>Ids as strings (int64 and int32 in invariant decimal form); a null id throws naming its row.</summary>
        public async Task<string[]> ReadIdsAsync(SourceColumn column, CancellationToken ct) =>
            column.Type switch
            {
                ColumnType.String => NoNulls(column, await ReadStringsAsync(column, ct).ConfigureAwait(false)),
                ColumnType.Int64 => ToStrings(column, await ReadAsync<long>(column, ct).ConfigureAwait(false)),
                ColumnType.Int32 => ToStrings(column, await ReadAsync<int>(column, ct).ConfigureAwait(false)),
                _ => throw Unexpected(column),
            };

        /// <summary>Ids as strings (int64 and int32 in invariant decimal form), null where the file has null.</summary>
        public async Task<string?[]> ReadNullableIdsAsync(SourceColumn column, CancellationToken ct) =>
            column.Type switch
            {
                ColumnType.String => await ReadStringsAsync(column, ct).ConfigureAwait(false),
                ColumnType.Int64 => ToNullableStrings(await ReadAsync<long>(column, ct).ConfigureAwait(false)),
                ColumnType.Int32 => ToNullableStrings(await ReadAsync<int>(column, ct).ConfigureAwait(false)),
                _ => throw Unexpected(column),
            };

        /// <summary>
        /// Times as stored, null where the file has null: the integers of an int64/int32 column (unit not applied), or
        /// Unix epoch seconds of a timestamp/date column (unspecified kinds taken as UTC).
        /// </summary>
        public async Task<long?[]> ReadNullableTimesAsync(SourceColumn column, CancellationToken ct)
        {
            switch (column.Type)
            {
                case ColumnType.Int64:
                    return Nullable(await ReadAsync<long>(column, ct).ConfigureAwait(false), v => v);
                case ColumnType.Int32:
                    return Nullable(await ReadAsync<int>(column, ct).ConfigureAwait(false), v => (long)v);
                case ColumnType.Timestamp:
                    return Nullable(await ReadAsync<DateTime>(column, ct).ConfigureAwait(false), EpochSeconds);
                default:
                    throw Unexpected(column);
            }
        }

        private static long?[] Nullable<T>((T[] Values, bool[]? Nulls) read, Func<T, long> convert)
        {
            var result = new long?[read.Values.Length];
            for (int i = 0; i < result.Length; i++)
                result[i] = read.Nulls?[i] == true ? null : convert(read.Values[i]);
            return result;
        }

        private static string?[] ToNullableStrings<T>((T[] Values, bool[]? Nulls) read)
            where T : struct, IFormattable
        {
            var result = new string?[read.Values.Length];
            for (int i = 0; i < result.Length; i++)
                result[i] = read.Nulls?[i] == true ? null : read.Values[i].ToString(null, CultureInfo.InvariantCulture);
            return result;
        }

        /// <summary>Unix epoch seconds from int64/int32 seconds or a timestamp/date (unspecified kinds taken as UTC).</summary>
        public async Task<long[]> ReadEpochSecondsAsync(SourceColumn column, CancellationToken ct)
        {
            switch (column.Type)
            {
                case ColumnType.Int64:
                    return NoNulls(column, await ReadAsync<long>(column, ct).ConfigureAwait(false));
                case ColumnType.Int32:
                    return Array.ConvertAll(
                        NoNulls(column, await ReadAsync<int>(column, ct).ConfigureAwait(false)),
                        v => (long)v
                    );
                case ColumnType.Timestamp:
                    var times = NoNulls(column, await ReadAsync<DateTime>(column, ct).ConfigureAwait(false));
                    return Array.ConvertAll(times, EpochSeconds);
                default:
                    throw Unexpected(column);
            }
        }

        /// <summary>Numbers (floating point or any integer type) as float; a null becomes <paramref name="whenNull"/>.</summary>
        public async Task<float[]> ReadFloatsAsync(SourceColumn column, float whenNull, CancellationToken ct)
        {
            var result = new float[Rows];
            switch (column.Type)
            {
                case ColumnType.Float:
                    Fill(await ReadAsync<float>(column, ct).ConfigureAwait(false), v => v);
                    break;
                case ColumnType.Double:
                    Fill(await ReadAsync<double>(column, ct).ConfigureAwait(false), v => (float)v);
                    break;
                case ColumnType.Int32:
                    Fill(await ReadAsync<int>(column, ct).ConfigureAwait(false), v => v);
                    break;
                case ColumnType.Int64:
                    Fill(await ReadAsync<long>(column, ct).ConfigureAwait(false), v => v);
                    break;
                case ColumnType.Int16:
                    Fill(await ReadAsync<short>(column, ct).ConfigureAwait(false), v => v);
                    break;
                case ColumnType.Int8:
                    Fill(await ReadAsync<sbyte>(column, ct).ConfigureAwait(false), v => v);
                    break;
                case ColumnType.UInt8:
                    Fill(await ReadAsync<byte>(column, ct).ConfigureAwait(false), v => v);
                    break;
                case ColumnType.UInt16:
                    Fill(await ReadAsync<ushort>(column, ct).ConfigureAwait(false), v => v);
                    break;
                case ColumnType.UInt32:
                    Fill(await ReadAsync<uint>(column, ct).ConfigureAwait(false), v => v);
                    break;
                case ColumnType.UInt64:
                    Fill(await ReadAsync<ulong>(column, ct).ConfigureAwait(false), v => v);
                    break;
                default:
                    throw Unexpected(column);
            }
            return result;

            void Fill<T>((T[] Values, bool[]? Nulls) read, Func<T, float> convert)
            {
                for (int i = 0; i < result.Length; i++)
                    result[i] = read.Nulls?[i] == true ? whenNull : convert(read.Values[i]);
            }
        }

        /// <summary>Values of a flat column whose element type is <typeparamref name="T"/>; a null throws naming its row.</summary>
        public async Task<T[]> ReadRequiredAsync<T>(SourceColumn column, CancellationToken ct)
            where T : struct =>
            column.Leaf?.ClrType == typeof(T)
                ? NoNulls(column, await ReadAsync<T>(column, ct).ConfigureAwait(false))
                : throw Unexpected(column);

        /// <summary>
        /// Strings, null where the file has null. A binary column's bytes are decoded as strict UTF-8: bytes that are
        /// not valid UTF-8 throw naming the file, row group, row and column, with the bytes in hex.
        /// </summary>
        public async Task<string?[]> ReadStringsAsync(SourceColumn column, CancellationToken ct)
        {
            if (column.Type != ColumnType.String)
                throw Unexpected(column);
            if (column.Leaf?.ClrType == typeof(ReadOnlyMemory<byte>))
                return await ReadBinaryAsUtf8Async(column, ct).ConfigureAwait(false);
            var (values, nulls) = await ReadAsync<ReadOnlyMemory<char>>(column, ct).ConfigureAwait(false);
            var result = new string?[Rows];
            for (int i = 0; i < result.Length; i++)
                result[i] = nulls?[i] == true ? null : new string(values[i].Span);
            return result;
        }

        private async Task<string?[]> ReadBinaryAsUtf8Async(SourceColumn column, CancellationToken ct)
        {
            var (values, nulls) = await ReadAsync<ReadOnlyMemory<byte>>(column, ct).ConfigureAwait(false);
            var result = new string?[Rows];
            for (int i = 0; i < result.Length; i++)
            {
                if (nulls?[i] == true)
                    continue;
                try
                {
                    result[i] = StrictUtf8.GetString(values[i].Span);
                }
                catch (DecoderFallbackException)
                {
                    var bytes = values[i].Span;
                    var hex = Convert.ToHexString(bytes[..Math.Min(bytes.Length, 32)]) + (bytes.Length > 32 ? "…" : "");
                    throw InputFormatException.AtRow(
                        source.Path,
                        FirstRow + i,
                        column.Name,
                        $"the bytes 0x{hex} (row group {Index}) are not valid UTF-8. The column is binary (BYTE_ARRAY without a UTF-8 string "
                            + "annotation); its values are read as UTF-8 text, never replaced, so that distinct ids cannot merge. Write the column "
                            + "as a string column of valid UTF-8, or as int64 ids"
                    );
                }
            }
            return result;
        }

        /// <summary>Strings; a null throws naming its row.</summary>
        public async Task<string[]> ReadRequiredStringsAsync(SourceColumn column, CancellationToken ct) =>
            NoNulls(column, await ReadStringsAsync(column, ct).ConfigureAwait(false));

        /// <summary>Lists of strings (a null list reads as empty; null elements are dropped).</summary>
        public async Task<string[][]> ReadStringListsAsync(SourceColumn column, CancellationToken ct)
        {
            if (column is not { Type: ColumnType.StringList, Leaf: { } leaf })
                throw Unexpected(column);
            var count = group.GetMetadata(leaf)?.MetaData?.NumValues
                ?? throw InputFormatException.InFile(source.Path, "column chunk metadata is missing", column.Name);
            var values = new ReadOnlyMemory<char>[count];
            var definitions = new int[count];
            var repetitions = new int[count];
            await Guard(column, () =>
                    group.ReadRawAsync(leaf, values.AsMemory(), definitions.AsMemory(), repetitions.AsMemory(), ct)
                )
                .ConfigureAwait(false);

            var result = new string[Rows][];
            var current = new List<string>();
            int row = -1,
                next = 0;
            for (int i = 0; i < count; i++)
            {
                if (repetitions[i] == 0)
                {
                    if (row >= 0)
                        result[row] = current.ToArray();
                    current.Clear();
                    if (++row >= Rows)
                        break;
                }
                if (definitions[i] == leaf.MaxDefinitionLevel)
                    current.Add(new string(values[next++].Span));
            }
            if (row >= 0 && row < Rows)
                result[row] = current.ToArray();
            if (row + 1 != Rows)
                throw InputFormatException.InFile(
                    source.Path,
                    $"list column holds {row + 1} rows, the row group {Rows}",
                    column.Name
                );
            return result;
        }

        /// <summary>Lists of floats (list&lt;float&gt; or list&lt;double&gt;): a null list reads as null; a null element throws naming its row.</summary>
        public async Task<float[]?[]> ReadFloatListsAsync(SourceColumn column, CancellationToken ct)
        {
            if (column is not { Type: ColumnType.FloatList, Leaf: { } leaf })
                throw Unexpected(column);
            var count = group.GetMetadata(leaf)?.MetaData?.NumValues
                ?? throw InputFormatException.InFile(source.Path, "column chunk metadata is missing", column.Name);
            var definitions = new int[count];
            var repetitions = new int[count];
            float[] values;
            if (leaf.ClrType == typeof(double))
            {
                var doubles = new double[count];
                await Guard(column, () =>
                        group.ReadRawAsync(leaf, doubles.AsMemory(), definitions.AsMemory(), repetitions.AsMemory(), ct)
                    )
                    .ConfigureAwait(false);
                values = doubles.Select(d => (float)d).ToArray();
            }
            else
            {
                values = new float[count];
                await Guard(column, () =>
                        group.ReadRawAsync(leaf, values.AsMemory(), definitions.AsMemory(), repetitions.AsMemory(), ct)
                    )
                    .ConfigureAwait(false);
            }
            // A row with no present element (null or empty list) has no vector; null elements are dropped, so the
            // vector comes out short and the caller's dimension check names the row.
            var result = new float[]?[Rows];
            var current = new List<float>();
            int row = -1,
                next = 0;
            for (int i = 0; i < count; i++)
            {
                if (repetitions[i] == 0)
                {
                    if (row >= 0)
                        result[row] = current.Count == 0 ? null : current.ToArray();
                    current.Clear();
                    if (++row >= Rows)
                        break;
                }
                if (definitions[i] == leaf.MaxDefinitionLevel)
                    current.Add(values[next++]);
            }
            if (row >= 0 && row < Rows)
                result[row] = current.Count == 0 ? null : current.ToArray();
            if (row + 1 != Rows)
                throw InputFormatException.InFile(
                    source.Path,
                    $"list column holds {row + 1} rows, the row group {Rows}",
                    column.Name
                );
            return result;
        }

        /// <summary>
        /// Reads a flat column: one value per row, and a null mask when the column is nullable and holds nulls.
        /// The raw read packs non-null values at the front; they are spread out in place, back to front.
        /// </summary>
        private async Task<(T[] Values, bool[]? Nulls)> ReadAsync<T>(SourceColumn column, CancellationToken ct)
            where T : struct
        {
            var leaf = column.Leaf ?? throw Unexpected(column);
            var values = new T[Rows];
            if (leaf.MaxDefinitionLevel == 0)
            {
                await Guard(column, () => group.ReadRawAsync(leaf, values.AsMemory(), null, null, ct))
                    .ConfigureAwait(false);
                return (values, null);
            }

            var definitions = new int[Rows];
            await Guard(column, () => group.ReadRawAsync(leaf, values.AsMemory(), definitions.AsMemory(), null, ct))
                .ConfigureAwait(false);
            int max = leaf.MaxDefinitionLevel,
                present = 0;
            foreach (var d in definitions)
                if (d == max)
                    present++;
            if (present == Rows)
                return (values, null);

            var nulls = new bool[Rows];
            for (int i = Rows - 1, j = present - 1; i >= 0; i--)
            {
                if (definitions[i] == max)
                    values[i] = values[j--];
                else
                    (values[i], nulls[i]) = (default, true);
            }
            return (values, nulls);
        }

        private async Task Guard(SourceColumn column, Func<ValueTask> read)
        {
            try
            {
                await read().ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException and not InputFormatException)
            {
                throw InputFormatException.InFile(
                    source.Path,
                    $"cannot decode values in the row group starting at row {FirstRow} ({e.Message})",
                    column.Name,
                    e
                );
            }
        }

        private T[] NoNulls<T>(SourceColumn column, (T[] Values, bool[]? Nulls) read)
            where T : struct
        {
            if (read.Nulls is { } nulls && Array.IndexOf(nulls, true) is var i and >= 0)
                throw NullAt(column, i);
            return read.Values;
        }

        private string[] NoNulls(SourceColumn column, string?[] values)
        {
            if (Array.IndexOf(values, null) is var i and >= 0)
                throw NullAt(column, i);
            return values!;
        }

        private string[] ToStrings<T>(SourceColumn column, (T[] Values, bool[]? Nulls) read)
            where T : struct, IFormattable =>
            Array.ConvertAll(NoNulls(column, read), v => v.ToString(null, CultureInfo.InvariantCulture));

        private InputFormatException NullAt(SourceColumn column, int index) =>
            InputFormatException.AtRow(
                source.Path,
                FirstRow + index,
                column.Name,
                "value is null; this column must not hold nulls"
            );

        private InvalidOperationException Unexpected(SourceColumn column) =>
            new($"{source.Path}: column '{column.Name}' of type {column.Found} cannot be read this way");
    }

    private static long EpochSeconds(DateTime time)
    {
        var utc =
            time.Kind == DateTimeKind.Local ? time.ToUniversalTime() : DateTime.SpecifyKind(time, DateTimeKind.Utc);
        return new DateTimeOffset(utc).ToUnixTimeSeconds(); // floors, so 1969-12-31T23:59:59.5Z gives -1
    }

    private static (DataField? Leaf, ColumnType Type) Classify(Field field)
    {
        switch (field)
        {
            case DataField data when data.MaxRepetitionLevel == 0:
                return (data, FlatType(data));
            case DataField data when data.MaxRepetitionLevel == 1 && IsString(data.ClrType):
                return (data, ColumnType.StringList); // legacy repeated primitive
            case ListField { Item: DataField item } when item.MaxRepetitionLevel == 1 && IsString(item.ClrType):
                return (item, ColumnType.StringList);
            case ListField { Item: DataField item }
                when item.MaxRepetitionLevel == 1 && (item.ClrType == typeof(float) || item.ClrType == typeof(double)):
                return (item, ColumnType.FloatList);
            default:
                return (null, ColumnType.Other);
        }
    }

    private static ColumnType FlatType(DataField data) =>
        data.ClrType switch
        {
            var t when IsString(t) => ColumnType.String,
            var t when t == typeof(ReadOnlyMemory<byte>) && data.SchemaElement?.Type == Parquet.Meta.Type.BYTE_ARRAY =>
                ColumnType.String, // binary: strict UTF-8
            var t when t == typeof(int) => ColumnType.Int32,
            var t when t == typeof(long) => ColumnType.Int64,
            var t when t == typeof(short) => ColumnType.Int16,
            var t when t == typeof(sbyte) => ColumnType.Int8,
            var t when t == typeof(byte) => ColumnType.UInt8,
            var t when t == typeof(ushort) => ColumnType.UInt16,
            var t when t == typeof(uint) => ColumnType.UInt32,
            var t when t == typeof(ulong) => ColumnType.UInt64,
            var t when t == typeof(float) => ColumnType.Float,
            var t when t == typeof(double) => ColumnType.Double,
            var t when t == typeof(DateTime) => ColumnType.Timestamp,
            _ => ColumnType.Other,
        };

    private static bool IsString(Type t) => t == typeof(string) || t == typeof(ReadOnlyMemory<char>);

    /// <summary>A column's type in words, as error messages show it: "double", "timestamp", "list&lt;string&gt;".</summary>
    internal static string Describe(Field field) =>
        field switch
        {
            DataField { MaxRepetitionLevel: > 0 } d when field.Path.Length == 1 => $"repeated {DescribeData(d)}",
            DataField d => DescribeData(d),
            ListField l => $"list<{Describe(l.Item)}>",
            MapField m => $"map<{Describe(m.Key)}, {Describe(m.Value)}>",
            StructField => "struct",
            _ => field.SchemaType.ToString().ToLowerInvariant(),
        };

    private static string DescribeData(DataField d) =>
        d switch
        {
            DateTimeDataField { DateTimeFormat: DateTimeFormat.Date } => "date",
            _ when IsString(d.ClrType) => "string",
            _ when d.ClrType == typeof(DateTime) => "timestamp",
            _ when d.ClrType == typeof(DateOnly) => "date",
            _ when d.ClrType == typeof(bool) => "boolean",
            _ when d.ClrType == typeof(sbyte) => "int8",
            _ when d.ClrType == typeof(byte) => "uint8",
            _ when d.ClrType == typeof(short) => "int16",
            _ when d.ClrType == typeof(ushort) => "uint16",
            _ when d.ClrType == typeof(int) => "int32",
            _ when d.ClrType == typeof(uint) => "uint32",
            _ when d.ClrType == typeof(long) => "int64",
            _ when d.ClrType == typeof(ulong) => "uint64",
            _ when d.ClrType == typeof(float) => "float",
            _ when d.ClrType == typeof(double) => "double",
            _ when d.ClrType == typeof(decimal) => "decimal",
            _ when d.ClrType == typeof(ReadOnlyMemory<byte>) && d.SchemaElement?.Type == Parquet.Meta.Type.BYTE_ARRAY =>
                "binary (BYTE_ARRAY without a UTF-8 string annotation)",
            _ when d.ClrType == typeof(byte[]) || d.ClrType == typeof(ReadOnlyMemory<byte>) => "binary",
            _ => d.ClrType.Name,
        };
}
