using BatchRec.Core;
using BatchRec.Jobs.Configuration;
using BatchRec.Jobs.Ingest;
using BatchRec.Jobs.Tests.Io;
using Parquet.Schema;
using Xunit;

namespace BatchRec.Jobs.Tests.Ingest;

/// <summary>One interactions row as a test writes it: any value may be null.</summary>
internal sealed record Row(string? User, string? Item, long? Time, double? Weight = 1, string? Event = null);

/// <summary>Interactions files with nullable string ids, int64 timestamps, double weights and event types, and configs for them.</summary>
internal static class IngestFixtures
{
    public const string Date = "2026-11-28";
    public static readonly DateOnly RunDate = DateOnly.Parse(Date, System.Globalization.CultureInfo.InvariantCulture);

    public static Field[] Fields() =>
        [
            new DataField<string>("user_id", true),
            new DataField<string>("item_id", true),
            new DataField<long?>("timestamp"),
            new DataField<double?>("weight"),
            new DataField<string>("event_type", true),
        ];

    /// <summary>Writes the rows in row groups of <paramref name="rowGroupSize"/>; returns the path.</summary>
    public static async Task<string> WriteAsync(string path, IReadOnlyList<Row> rows, int rowGroupSize = 4)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var groups = rows.Chunk(rowGroupSize)
            .Select(g =>
                new Array[]
                {
                    g.Select(r => r.User).ToArray(),
                    g.Select(r => r.Item).ToArray(),
                    g.Select(r => r.Time).ToArray(),
                    g.Select(r => r.Weight).ToArray(),
                    g.Select(r => r.Event).ToArray(),
                }
            )
            .ToArray();
        await TestParquet.WriteAsync(path, Fields(), groups);
        return path;
    }

    /// <summary>The interactions file of partition <paramref name="dt"/> (null: outside dt= folders) under <paramref name="root"/>/input.</summary>
    public static string PartitionFile(string root, string? dt, string name = "part-0.parquet") =>
        dt is null
            ? Path.Combine(root, "input", "interactions", name)
            : Path.Combine(root, "input", "interactions", "dt=" + dt, name);

    /// <summary>A config over <paramref name="root"/>/input with outputs and work folder under root; <paramref name="ingest"/> is the ingest section's JSON body.</summary>
    public static LoadedConfig Config(string root, string ingest = "", string work = "work")
    {
        var json = $$"""
            {
              "dataset": { "name": "t", "input": "input", "output": "out", "work": "{{work}}" },
              "ingest": { {{ingest}} }
            }
            """;
        var path = Path.Combine(root, $"config-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        return ConfigLoader.Load(path);
    }

    public static Task<IngestResult> IngestAsync(LoadedConfig config, DateOnly? date = null) =>
        Ingestor.RunAsync(
            config,
            date ?? RunDate,
            Path.Combine(config.WorkDir, "scratch-" + Guid.NewGuid().ToString("N")),
            CancellationToken.None
        );

    /// <summary>All rows of this run's quarantine files.</summary>
    public static async Task<List<QuarantineRow>> QuarantineAsync(IngestResult result)
    {
        var rows = new List<QuarantineRow>();
        foreach (var (_, path) in result.QuarantineFiles)
            rows.AddRange(await QuarantineWriter.ReadAsync(path));
        return rows;
    }

    /// <summary>Asserts two snapshots hold the same ids, interactions (in order) and splits.</summary>
    public static void SameSnapshot(Snapshot expected, Snapshot actual)
    {
        Assert.Equal(expected.UserIds.Ids, actual.UserIds.Ids);
        Assert.Equal(expected.ItemIds.Ids, actual.ItemIds.Ids);
        Assert.Equal(expected.Interactions.Users, actual.Interactions.Users);
        Assert.Equal(expected.Interactions.Items, actual.Interactions.Items);
        Assert.Equal(expected.Interactions.Timestamps, actual.Interactions.Timestamps);
        Assert.Equal(expected.Interactions.Weights, actual.Interactions.Weights);
        Assert.Equal(expected.Splits, actual.Splits);
    }
}
