using Parquet;
using Parquet.Schema;

namespace BatchRec.Jobs.Io;

/// <summary>
/// Generic columnar helper for the pipeline's own intermediate files (not a user-facing format): named, required,
/// equal-length columns of int, long, float, double, byte or non-null string, stored as Parquet.
/// </summary>
public static class ColumnarFile
{
    private static readonly Type[] ElementTypes =
    [
        typeof(int),
        typeof(long),
        typeof(float),
        typeof(double),
        typeof(string),
        typeof(byte),
        typeof(bool),
    ];

    /// <summary>
    /// Writes the columns in the given order, in row groups of <paramref name="rowGroupSize"/> rows, through a temporary
    /// file renamed into place.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// No columns, an empty or repeated name, an unsupported or multi-dimensional array, lengths that differ, or a null string.
    /// </exception>
    public static Task WriteAsync(
        string path,
        IReadOnlyList<KeyValuePair<string, Array>> columns,
        int rowGroupSize = 1_000_000,
        CancellationToken ct = default
    )
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rowGroupSize);
        var fields = Validate(columns, out int rows);
        var schema = new ParquetSchema(fields);

        return ParquetOutput.WriteAtomicallyAsync(path, async stream =>
        {
            await using var writer = await ParquetWriter
                .CreateAsync(schema, stream, ParquetOutput.WriteOptions, false, ct)
                .ConfigureAwait(false);
            for (int offset = 0; offset < rows; offset += rowGroupSize)
            {
                ct.ThrowIfCancellationRequested();
                int count = Math.Min(rowGroupSize, rows - offset);
                using var group = writer.CreateRowGroup();
                for (int c = 0; c < fields.Length; c++)
                    await WriteSliceAsync(group, fields[c], columns[c].Value, offset, count, ct).ConfigureAwait(false);
                group.CompleteValidate();
            }
        });
    }

    /// <summary>Reads every column back into an array of its element type, row groups concatenated, in schema order.</summary>
    /// <exception cref="InputFormatException">The file is not Parquet, holds a column of another type, or holds a null.</exception>
    public static async Task<IReadOnlyDictionary<string, Array>> ReadAsync(string path, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        await using var source = await ParquetSource.OpenAsync(path, ct).ConfigureAwait(false);
        if (source.Rows > Array.MaxLength)
            throw InputFormatException.InFile(path, $"{source.Rows} rows are more than one array can hold");
        int rows = (int)source.Rows;

        var columns = source.AllColumns();
        var arrays = new Array[columns.Count];
        for (int c = 0; c < columns.Count; c++)
        {
            var type = columns[c] is { Leaf: { MaxRepetitionLevel: 0 } leaf } ? ElementType(leaf.ClrType) : null;
            arrays[c] = type is null
                ? throw InputFormatException.InFile(
                    path,
                    $"wrong type: expected int32, int64, float, double, uint8, boolean or string, found {columns[c].Found}",
                    columns[c].Name
                )
                : Array.CreateInstance(type, rows);
        }

        foreach (var group in source.RowGroups())
        {
            for (int c = 0; c < columns.Count; c++)
            {
                Array values = arrays[c] switch
                {
                    int[] => await group.ReadRequiredAsync<int>(columns[c], ct).ConfigureAwait(false),
                    long[] => await group.ReadRequiredAsync<long>(columns[c], ct).ConfigureAwait(false),
                    float[] => await group.ReadRequiredAsync<float>(columns[c], ct).ConfigureAwait(false),
                    double[] => await group.ReadRequiredAsync<double>(columns[c], ct).ConfigureAwait(false),
                    byte[] => await group.ReadRequiredAsync<byte>(columns[c], ct).ConfigureAwait(false),
                    bool[] => await group.ReadRequiredAsync<bool>(columns[c], ct).ConfigureAwait(false),
                    _ => await group.ReadRequiredStringsAsync(columns[c], ct).ConfigureAwait(false),
                };
                Array.Copy(values, 0, arrays[c], group.FirstRow, group.Rows);
            }
        }

        var result = new Dictionary<string, Array>(columns.Count, StringComparer.Ordinal);
        for (int c = 0; c < columns.Count; c++)
            result[columns[c].Name] = arrays[c];
        return result;
    }

    private static Type? ElementType(Type clr) =>
        clr == typeof(ReadOnlyMemory<char>) ? typeof(string)
        : Array.IndexOf(ElementTypes, clr) >= 0 ? clr
        : null;

    private static DataField[] Validate(IReadOnlyList<KeyValuePair<string, Array>> columns, out int rows)
    {
        if (columns.Count == 0)
            throw new ArgumentException("at least one column is needed", nameof(columns));
        var names = new HashSet<string>(StringComparer.Ordinal);
        var fields = new DataField[columns.Count];
        rows = -1;
        for (int c = 0; c < columns.Count; c++)
        {
            var (name, array) = columns[c];
            if (string.IsNullOrEmpty(name) || !names.Add(name))
                throw new ArgumentException($"column {c} has an empty or repeated name '{name}'", nameof(columns));
            ArgumentNullException.ThrowIfNull(array, $"{nameof(columns)}['{name}']");
            var element = array.GetType().GetElementType();
            if (array.Rank != 1 || element is null || Array.IndexOf(ElementTypes, element) < 0)
                throw new ArgumentException(
                    $"column '{name}' is a {array.GetType().Name}; expected int[], long[], float[], double[], string[], byte[] or bool[]",
                    nameof(columns)
                );
            if (rows >= 0 && array.Length != rows)
                throw new ArgumentException(
                    $"column '{name}' has {array.Length} rows, column '{columns[0].Key}' {rows}",
                    nameof(columns)
                );
            rows = array.Length;
            if (array is string[] strings && Array.IndexOf(strings, null) is var i and >= 0)
                throw new ArgumentException(
                    $"column '{name}' row {i} is null; strings must be non-null",
                    nameof(columns)
                );
            fields[c] =
                element == typeof(string)
                    ? ParquetOutput.RequiredString(name)
                    : new DataField(name, element, isNullable: false);
        }
        return fields;
    }

    private static Task WriteSliceAsync(
        ParquetRowGroupWriter group,
        DataField field,
        Array array,
        int offset,
        int count,
        CancellationToken ct
    ) =>
        array switch
        {
            int[] a => group.WriteAsync<int>(field, a.AsMemory(offset, count), cancellationToken: ct),
            long[] a => group.WriteAsync<long>(field, a.AsMemory(offset, count), cancellationToken: ct),
            float[] a => group.WriteAsync<float>(field, a.AsMemory(offset, count), cancellationToken: ct),
            double[] a => group.WriteAsync<double>(field, a.AsMemory(offset, count), cancellationToken: ct),
            byte[] a => group.WriteAsync<byte>(field, a.AsMemory(offset, count), cancellationToken: ct),
            bool[] a => group.WriteAsync<bool>(field, a.AsMemory(offset, count), cancellationToken: ct),
            string[] a => ParquetOutput.WriteStringsAsync(group, field, a, offset, count, ct),
            _ => throw new ArgumentException($"unsupported column type {array.GetType().Name}", nameof(array)),
        };
}
