using Parquet;
using Parquet.Schema;

namespace BatchRec.Jobs.Tests.Io;

/// <summary>
/// Writes Parquet fixtures straight through Parquet.Net, independently of the code under test. Each row group is one
/// array per schema field: long[], long?[], int[], float[], float?[], double[], DateTime[], DateTime?[], string?[], int?[], bool[], double?[], short[], short?[], sbyte[], byte[], ushort[], uint[], ulong[],
/// byte[]?[] (binary) for flat fields,
/// string?[]?[] (null list, null element allowed) for a list&lt;string&gt; field.
/// </summary>
internal static class TestParquet
{
    public static async Task WriteAsync(string path, Field[] fields, params Array[][] rowGroups)
    {
        var schema = new ParquetSchema(fields);
        await using var stream = System.IO.File.Create(path);
        await using var writer = await ParquetWriter.CreateAsync(schema, stream);
        foreach (var columns in rowGroups)
        {
            using var group = writer.CreateRowGroup();
            for (int c = 0; c < fields.Length; c++)
                await WriteColumnAsync(group, fields[c], columns[c]);
        }
    }

    private static Task WriteColumnAsync(ParquetRowGroupWriter group, Field field, Array values) =>
        (field, values) switch
        {
            (ListField list, string?[]?[] rows) => WriteListAsync(group, (DataField)list.Item, rows),
            // the CLR lets int[] pass as uint[] (and sbyte[] as byte[]): the small and unsigned types go by exact type
            (DataField f, _) when values.GetType() == typeof(short[]) => group.WriteAsync<short>(f, (short[])values),
            (DataField f, short?[] v) => group.WriteAsync<short>(f, v),
            (DataField f, _) when values.GetType() == typeof(sbyte[]) => group.WriteAsync<sbyte>(f, (sbyte[])values),
            (DataField f, _) when values.GetType() == typeof(byte[]) => group.WriteAsync<byte>(f, (byte[])values),
            (DataField f, _) when values.GetType() == typeof(ushort[]) => group.WriteAsync<ushort>(f, (ushort[])values),
            (DataField f, _) when values.GetType() == typeof(uint[]) => group.WriteAsync<uint>(f, (uint[])values),
            (DataField f, _) when values.GetType() == typeof(ulong[]) => group.WriteAsync<ulong>(f, (ulong[])values),
            (DataField f, long[] v) => group.WriteAsync<long>(f, v),
            (DataField f, long?[] v) => group.WriteAsync<long>(f, v),
            (DataField f, int[] v) => group.WriteAsync<int>(f, v),
            (DataField f, int?[] v) => group.WriteAsync<int>(f, v),
            (DataField f, bool[] v) => group.WriteAsync<bool>(f, v),
            (DataField f, double?[] v) => group.WriteAsync<double>(f, v),
            (DataField f, float[] v) => group.WriteAsync<float>(f, v),
            (DataField f, float?[] v) => group.WriteAsync<float>(f, v),
            (DataField f, double[] v) => group.WriteAsync<double>(f, v),
            (DataField f, DateTime[] v) => group.WriteAsync<DateTime>(f, v),
            (DataField f, DateTime?[] v) => group.WriteAsync<DateTime>(f, v),
            (DataField f, string?[] v) => group.WriteAsync(f, v),
            (DataField f, byte[]?[] v) => group.WriteAsync(f, (IReadOnlyCollection<byte[]>)v!), // binary: BYTE_ARRAY, no UTF-8 annotation
            _ => throw new ArgumentException($"no fixture writer for {field.Name} = {values.GetType().Name}"),
        };

    /// <summary>Levels of a nullable list of nullable strings: null list 0, empty list 1, null element 2, element 3.</summary>
    private static Task WriteListAsync(ParquetRowGroupWriter group, DataField leaf, string?[]?[] rows)
    {
        var values = new List<ReadOnlyMemory<char>>();
        var definitions = new List<int>();
        var repetitions = new List<int>();
        foreach (var row in rows)
        {
            if (row is null || row.Length == 0)
            {
                definitions.Add(row is null ? 0 : 1);
                repetitions.Add(0);
                continue;
            }
            for (int j = 0; j < row.Length; j++)
            {
                if (row[j] is { } s)
                    values.Add(s.AsMemory());
                definitions.Add(row[j] is null ? 2 : 3);
                repetitions.Add(j == 0 ? 0 : 1);
            }
        }
        return group.WriteAllPartsAsync<ReadOnlyMemory<char>>(
            leaf,
            values.ToArray(),
            definitions.ToArray(),
            repetitions.ToArray(),
            default
        );
    }

    /// <summary>Reads every row group's row count, to check how a file was cut.</summary>
    public static async Task<long[]> RowGroupSizesAsync(string path)
    {
        await using var reader = await ParquetReader.CreateAsync(path);
        return reader.RowGroups.Select(g => g.RowCount).ToArray();
    }
}

internal static class AssertEx
{
    /// <summary>Element-wise equality of nullable strings (xunit's span overloads reject string? as T).</summary>
    public static void Strings(string?[] expected, string?[] actual) =>
        Xunit.Assert.Equal<string?>(expected.AsEnumerable(), actual);
}
