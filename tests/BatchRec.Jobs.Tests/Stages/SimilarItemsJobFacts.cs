using BatchRec.Jobs.Io;
using BatchRec.Jobs.Orchestration;
using BatchRec.Jobs.Runs;
using DuckDB.NET.Data;
using Xunit;

namespace BatchRec.Jobs.Tests.Stages;

/// <summary>The similar_items table end to end: published with the run, read back by an independent reader (DuckDB).</summary>
[Collection("hangfire")]
public class SimilarItemsJobFacts
{
    private const string Date = "2026-11-28";
    private const int NewItems = 2;

    /// <summary>The tiny fixture with a tag per taste group, and two catalogue items nobody has touched (one per group).</summary>
    private static async Task WriteTaggedAsync(string input)
    {
        await TinyDataset.WriteAsync(input);
        var n = TinyDataset.Items + NewItems;
        await ColumnarFile.WriteAsync(
            Path.Combine(input, "items", "items.parquet"),
            [
                new("item_id", Enumerable.Range(0, n).Select(x => 50L + x).ToArray()),
                new("title", Enumerable.Range(0, n).Select(x => $"Item {x}").ToArray()),
                new("tags", Enumerable.Range(0, n).Select(x => x % 2 == 0 ? "even" : "odd").ToArray()),
            ]
        );
    }

    private static List<object?[]> Query(string sql)
    {
        using var connection = new DuckDBConnection("DataSource=:memory:");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new List<object?[]>();
        while (reader.Read())
        {
            var row = new object?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
                row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            rows.Add(row);
        }
        return rows;
    }

    [Fact]
    public async Task Run_PublishesSimilarItemsForEveryItem_NewItemsThroughTheirAttributes_ReadBackByDuckDb()
    {
        using var dir = new TempDir();
        await WriteTaggedAsync(dir.Sub("input"));
        var config = TinyDataset.Config(dir, "input", """, "score": { "k": 5, "similarItems": 4 }""");

        var outcome = await RunOnce.ExecuteAsync(config, Date, CancellationToken.None);
        Assert.True(outcome.Succeeded, outcome.Error);

        var partition = Path.Combine(config.OutputDir, "similar_items", "dt=" + Date);
        Assert.True(File.Exists(Path.Combine(partition, "_SUCCESS")));
        var glob = Path.Combine(partition, "*.parquet").Replace("'", "''");
        var from = $"FROM read_parquet('{glob}')";

        // the schema as DuckDB reads it (hive partitioning adds the partition's dt)
        var schema = Query($"DESCRIBE SELECT * {from}").Select(r => ($"{r[0]}", $"{r[1]}")).ToList();
        Assert.Equal(
            [
                ("item_id", "BIGINT"),
                ("rank", "INTEGER"),
                ("similar_item_id", "BIGINT"),
                ("score", "FLOAT"),
                ("similarity_kind", "VARCHAR"),
                ("model", "VARCHAR"),
                ("run_id", "VARCHAR"),
                ("dt", "DATE"),
            ],
            schema
        );

        // every item of the catalogue has a full list of 4, ranks 1..4, no item similar to itself, no repeats
        var perItem = Query(
            $"SELECT item_id, count(*), min(rank), max(rank), count(DISTINCT similar_item_id), count(*) FILTER (WHERE similar_item_id = item_id) {from} GROUP BY item_id ORDER BY item_id"
        );
        Assert.Equal(
            Enumerable.Range(0, TinyDataset.Items + NewItems).Select(x => 50L + x),
            perItem.Select(r => (long)r[0]!)
        );
        Assert.All(perItem, r =>
            Assert.Equal((4L, 1, 4, 4L, 0L), ((long)r[1]!, (int)r[2]!, (int)r[3]!, (long)r[4]!, (long)r[5]!))
        );

        // scores never increase down a list
        Assert.Empty(
            Query(
                $"SELECT * FROM (SELECT item_id, score, lag(score) OVER (PARTITION BY item_id ORDER BY rank) AS prev {from}) WHERE score > prev"
            )
        );

        // the model's similarity for the warm items; the new ones (74, 75) through their tags: the items of their group
        var kinds = Query($"SELECT item_id, any_value(similarity_kind) {from} GROUP BY item_id")
            .ToDictionary(r => (long)r[0]!, r => (string)r[1]!);
        Assert.All(Enumerable.Range(0, TinyDataset.Items), x => Assert.Equal("embedding-cosine", kinds[50L + x]));
        Assert.Equal("attributes", kinds[74]);
        Assert.Equal("attributes", kinds[75]);
        var newItemNeighbours = Query($"SELECT item_id, similar_item_id, score {from} WHERE item_id >= 74");
        Assert.All(newItemNeighbours, r => Assert.Equal((long)r[0]! % 2, (long)r[1]! % 2)); // same tag, same parity
        Assert.All(newItemNeighbours, r => Assert.Equal(1f, (float)r[2]!)); // one tag each: cosine 1

        // model and run id are the run's, as in the recommendations
        var ids = Query($"SELECT DISTINCT model, run_id {from}");
        Assert.Equal([("lightgcn", outcome.RunId)], ids.Select(r => ((string)r[0]!, (string)r[1]!)));

        // the manifest names the published version; the stage record counts the rows and the kinds
        var manifest = Json.Read<Manifest>(
            Path.Combine(config.OutputDir, "manifests", "dt=" + Date, outcome.RunId + ".json")
        );
        Assert.Equal(
            Publishing.Publisher.CurrentVersion(Path.Combine(config.OutputDir, "similar_items"), Date),
            manifest.Outputs["similar_items"]
        );
        var record = new RunFolder(Path.Combine(config.WorkDir, "runs", outcome.RunId))
            .ReadStages()
            .Single(s => s.Stage == "similar-items");
        Assert.Equal(
            (TinyDataset.Items + NewItems) * 4L,
            ((System.Text.Json.JsonElement)record.Details["rows"]).GetInt64()
        );
    }

    [Fact]
    public async Task SimilarItemsZero_WritesNoTable_AndTheRunStillPublishes()
    {
        using var dir = new TempDir();
        await TinyDataset.WriteAsync(dir.Sub("input"));
        var config = TinyDataset.Config(dir, "input", """, "score": { "k": 5, "similarItems": 0 }""");

        var outcome = await RunOnce.ExecuteAsync(config, Date, CancellationToken.None);

        Assert.True(outcome.Succeeded, outcome.Error);
        Assert.False(Directory.Exists(Path.Combine(config.OutputDir, "similar_items")));
        Assert.True(Directory.Exists(Path.Combine(config.OutputDir, "recommendations", "dt=" + Date)));
    }
}
