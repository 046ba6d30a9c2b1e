using BatchRec.Core;
using Parquet;
using Parquet.Schema;

namespace BatchRec.Jobs.Io;

/// <summary>The small output tables. Metrics schema: run_id, model, split, metric (strings), k int32, value double,
/// role, setting (strings; tables written before these two columns read as role published, setting empty).</summary>
public static class OutputTables
{
    /// <summary>Writes all rows as one row group, through a temporary file renamed into place.</summary>
    public static Task WriteMetricsAsync(string path, IReadOnlyList<MetricRow> rows, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(rows);
        var runId = ParquetOutput.RequiredString(Schema.Output.RunId);
        var model = ParquetOutput.RequiredString(Schema.Output.Model);
        var split = ParquetOutput.RequiredString(Schema.Output.Split);
        var metric = ParquetOutput.RequiredString(Schema.Output.Metric);
        var k = new DataField<int>(Schema.Output.K);
        var value = new DataField<double>(Schema.Output.Value);
        var role = ParquetOutput.RequiredString(Schema.Output.Role);
        var setting = ParquetOutput.RequiredString(Schema.Output.Setting);
        var schema = new ParquetSchema(runId, model, split, metric, k, value, role, setting);

        return ParquetOutput.WriteAtomicallyAsync(path, async stream =>
        {
            await using var writer = await ParquetWriter
                .CreateAsync(schema, stream, ParquetOutput.WriteOptions, false, ct)
                .ConfigureAwait(false);
            if (rows.Count == 0)
                return;
            using var group = writer.CreateRowGroup();
            await WriteAsync(runId, r => r.RunId).ConfigureAwait(false);
            await WriteAsync(model, r => r.Model).ConfigureAwait(false);
            await WriteAsync(split, r => r.Split).ConfigureAwait(false);
            await WriteAsync(metric, r => r.Metric).ConfigureAwait(false);
            await group
                .WriteAsync<int>(k, rows.Select(r => r.K).ToArray(), cancellationToken: ct)
                .ConfigureAwait(false);
            await group
                .WriteAsync<double>(value, rows.Select(r => r.Value).ToArray(), cancellationToken: ct)
                .ConfigureAwait(false);
            await WriteAsync(role, r => r.Role).ConfigureAwait(false);
            await WriteAsync(setting, r => r.Setting).ConfigureAwait(false);
            group.CompleteValidate();

            Task WriteAsync(DataField field, Func<MetricRow, string> select)
            {
                var values = rows.Select(select).ToArray();
                return ParquetOutput.WriteStringsAsync(group, field, values, 0, values.Length, ct);
            }
        });
    }

    /// <summary>Reads a metrics table back, in file order.</summary>
    /// <exception cref="InputFormatException">The file is not Parquet, or a column is missing, of the wrong type, or null.</exception>
    public static async Task<IReadOnlyList<MetricRow>> ReadMetricsAsync(string path, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        await using var source = await ParquetSource.OpenAsync(path, ct).ConfigureAwait(false);
        var runId = source.Require(Schema.Output.RunId, "string", ColumnType.String);
        var model = source.Require(Schema.Output.Model, "string", ColumnType.String);
        var split = source.Require(Schema.Output.Split, "string", ColumnType.String);
        var metric = source.Require(Schema.Output.Metric, "string", ColumnType.String);
        var k = source.Require(Schema.Output.K, "int32", ColumnType.Int32);
        var value = source.Require(Schema.Output.Value, "double", ColumnType.Double);
        var role = source.Optional(Schema.Output.Role, "string", ColumnType.String);
        var setting = source.Optional(Schema.Output.Setting, "string", ColumnType.String);

        var rows = new List<MetricRow>();
        foreach (var group in source.RowGroups())
        {
            var runIds = await group.ReadRequiredStringsAsync(runId, ct).ConfigureAwait(false);
            var models = await group.ReadRequiredStringsAsync(model, ct).ConfigureAwait(false);
            var splits = await group.ReadRequiredStringsAsync(split, ct).ConfigureAwait(false);
            var metrics = await group.ReadRequiredStringsAsync(metric, ct).ConfigureAwait(false);
            var ks = await group.ReadRequiredAsync<int>(k, ct).ConfigureAwait(false);
            var values = await group.ReadRequiredAsync<double>(value, ct).ConfigureAwait(false);
            var roles = role is null ? null : await group.ReadRequiredStringsAsync(role, ct).ConfigureAwait(false);
            var settings = setting is null
                ? null
                : await group.ReadRequiredStringsAsync(setting, ct).ConfigureAwait(false);
            for (int i = 0; i < group.Rows; i++)
                rows.Add(
                    new MetricRow(
                        runIds[i],
                        models[i],
                        splits[i],
                        metrics[i],
                        ks[i],
                        values[i],
                        roles?[i] ?? MetricRow.Published,
                        settings?[i] ?? ""
                    )
                );
        }
        return rows;
    }
}
