using BatchRec.Jobs.Io;
using BatchRec.Jobs.Orchestration;
using BatchRec.Jobs.Publishing;
using BatchRec.Jobs.Runs;
using Parquet;
using Xunit;

namespace BatchRec.Jobs.Tests;

/// <summary>The whole chain on embedded Hangfire over a tiny Parquet fixture, checked through the published tables.</summary>
[Collection("hangfire")] // Hangfire's global filters are process-wide: run the chain tests one at a time
public class EndToEndFacts
{
    private const string Date = "2026-11-28";

    [Fact]
    public async Task Run_PublishesTablesWithTheDocumentedSchemaAndInvariants_OnTinyFixture()
    {
        using var dir = new TempDir();
        var rows = await TinyDataset.WriteAsync(dir.Sub("input"));
        var config = TinyDataset.Config(dir, "input");

        var outcome = await RunOnce.ExecuteAsync(config, Date, CancellationToken.None);

        Assert.True(outcome.Succeeded, outcome.Error);
        var recDir = Path.Combine(config.OutputDir, "recommendations", "dt=" + Date);
        Assert.True(File.Exists(Path.Combine(recDir, "_SUCCESS")));
        var recFile = Directory.GetFiles(recDir, "*.parquet").Order().First(); // one part per scoring shard
        Assert.Equal(4, Directory.GetFiles(recDir, "*.parquet").Length);

        // schema, read with Parquet.Net directly as a consumer would
        await using (var reader = await ParquetReader.CreateAsync(recFile))
        {
            var fields = reader.Schema.DataFields.ToDictionary(f => f.Name, f => f.ClrType);
            Assert.Equal(
                [
                    "user_id",
                    "rank",
                    "item_id",
                    "score",
                    "model",
                    "run_id",
                    "reason_item_id",
                    "reason_kind",
                    "cold_start",
                ],
                reader.Schema.DataFields.Select(f => f.Name)
            );
            Assert.Equal(typeof(long), fields["reason_item_id"]);
            Assert.True(reader.Schema.DataFields.Single(f => f.Name == "reason_item_id").IsNullable);
            Assert.Equal(typeof(bool), fields["cold_start"]);
            Assert.Equal(typeof(long), fields["user_id"]);
            Assert.Equal(typeof(int), fields["rank"]);
            Assert.Equal(typeof(long), fields["item_id"]);
            Assert.Equal(typeof(float), fields["score"]);
            // Parquet.Net 6 surfaces UTF-8 strings as ReadOnlyMemory<char>
            Assert.Contains(fields["model"], new[] { typeof(string), typeof(ReadOnlyMemory<char>) });
            Assert.Contains(fields["run_id"], new[] { typeof(string), typeof(ReadOnlyMemory<char>) });
        }

        var recs = await Partition.ReadAsync(recDir);
        var users = (long[])recs["user_id"];
        var ranks = (int[])recs["rank"];
        var items = (long[])recs["item_id"];
        var scores = (float[])recs["score"];
        Assert.All((string[])recs["model"], m => Assert.Equal("lightgcn", m));
        Assert.All((string[])recs["run_id"], r => Assert.Equal(outcome.RunId, r));
        Assert.All((string[])recs["reason_kind"], k => Assert.Equal("embedding-cosine", k));
        var reasons = (long[])recs["reason_item_id"];

        var (iu, ii, _, _) = TinyDataset.Interactions();
        var seen = iu.Zip(ii).ToHashSet();
        var byUser = Enumerable
            .Range(0, users.Length)
            .GroupBy(r => users[r])
            .ToDictionary(g => g.Key, g => g.ToArray());
        Assert.Equal(iu.Distinct().Order(), byUser.Keys.Order()); // every user in the training data, input ids
        foreach (var (user, idx) in byUser)
        {
            Assert.Equal(Enumerable.Range(1, 5), idx.Select(r => ranks[r])); // ranks 1..K ascending
            Assert.Equal(5, idx.Select(r => items[r]).Distinct().Count()); // K distinct items
            Assert.All(idx, r => Assert.DoesNotContain((user, items[r]), seen)); // never an interacted item
            Assert.All(idx, r => Assert.Contains((user, reasons[r]), seen)); // explained by the user's own history
            Assert.All(idx, r => Assert.InRange(items[r], 50, 50 + TinyDataset.Items - 1));
            for (var k = 1; k < idx.Length; k++)
                Assert.True(scores[idx[k - 1]] >= scores[idx[k]]); // non-increasing
        }

        // metrics table: run_id, model, split, metric, k, value for valid and test at 10 and 20
        var metricDir = Path.Combine(config.OutputDir, "metrics", "dt=" + Date);
        Assert.True(File.Exists(Path.Combine(metricDir, "_SUCCESS")));
        var metrics = await OutputTables.ReadMetricsAsync(Assert.Single(Directory.GetFiles(metricDir, "*.parquet")));
        Assert.Equal(2 * 5 * 2, metrics.Count);
        Assert.Equal(["test", "valid"], metrics.Select(m => m.Split).Distinct().Order());
        Assert.Equal(["hit", "mrr", "ndcg", "precision", "recall"], metrics.Select(m => m.Metric).Distinct().Order());
        Assert.All(metrics, m => Assert.InRange(m.Value, 0.0, 1.0));
        Assert.All(metrics, m => Assert.Equal(outcome.RunId, m.RunId));
        // the groups are learnable: the model must beat chance clearly on test hit@10
        Assert.True(metrics.Single(m => m.Split == "test" && m.Metric == "hit" && m.K == 10).Value > 0.6);

        // manifest
        var manifestPath = Path.Combine(config.OutputDir, "manifests", "dt=" + Date, outcome.RunId + ".json");
        var manifest = Json.Read<Manifest>(manifestPath);
        Assert.Equal(rows, manifest.Rows["interactionsRead"]);
        Assert.Equal(TinyDataset.Users * 5, manifest.Rows["recommendations"]);
        Assert.Equal(
            ["evaluate", "ingest", "publish", "score", "similar-items", "train"],
            manifest.StageSeconds.Keys.Order()
        );
        Assert.Equal(["metrics", "recommendations", "similar_items"], manifest.Outputs.Keys.Order());
        Assert.Equal(2, manifest.Inputs.Count); // the interactions and the items file
        Assert.Equal(TinyDataset.Items, manifest.Rows["catalogueItems"]);
        Assert.Equal(config.Sha256, manifest.ConfigSha256);
        Assert.Equal(config.Config, manifest.EffectiveConfig);
    }

    [Fact]
    public async Task Run_PublishesInt32Ids_WhenTheInputStoresInt32IdsAndInt16Weights()
    {
        using var dir = new TempDir();
        var (u, i, t, w) = TinyDataset.Interactions();
        var input = dir.Sub("input");
        Directory.CreateDirectory(Path.Combine(input, "interactions"));
        Directory.CreateDirectory(Path.Combine(input, "items"));
        await Io.TestParquet.WriteAsync(
            Path.Combine(input, "interactions", "part-0.parquet"),
            [
                new Parquet.Schema.DataField<int>("user_id"),
                new Parquet.Schema.DataField<int>("item_id"),
                new Parquet.Schema.DataField<long>("timestamp"),
                new Parquet.Schema.DataField<short>("weight"),
            ],
            [u.Select(x => (int)x).ToArray(), i.Select(x => (int)x).ToArray(), t, w.Select(x => (short)x).ToArray()]
        );
        await Io.TestParquet.WriteAsync(
            Path.Combine(input, "items", "part-0.parquet"),
            [new Parquet.Schema.DataField<int>("item_id")],
            [Enumerable.Range(0, TinyDataset.Items).Select(x => 50 + x).ToArray()]
        );
        var config = TinyDataset.Config(
            dir,
            "input",
            """, "train": { "maxEpochs": 5, "evalEvery": 5, "device": "cpu" }"""
        );

        var outcome = await RunOnce.ExecuteAsync(config, Date, CancellationToken.None);

        Assert.True(outcome.Succeeded, outcome.Error);
        var recDir = Path.Combine(config.OutputDir, "recommendations", "dt=" + Date);
        foreach (var part in Directory.GetFiles(recDir, "*.parquet"))
        {
            await using var reader = await ParquetReader.CreateAsync(part);
            var fields = reader.Schema.DataFields.ToDictionary(f => f.Name, f => f.ClrType);
            Assert.Equal(
                (typeof(int), typeof(int), typeof(int)),
                (fields["user_id"], fields["item_id"], fields["reason_item_id"])
            );
        }
        var recs = await Partition.ReadAsync(recDir);
        Assert.Equal(u.Distinct().Select(x => (int)x).Order(), ((int[])recs["user_id"]).Distinct().Order());
        Assert.All((int[])recs["item_id"], item => Assert.InRange(item, 50, 50 + TinyDataset.Items - 1));
        var manifest = Json.Read<Manifest>(
            Path.Combine(config.OutputDir, "manifests", "dt=" + Date, outcome.RunId + ".json")
        );
        Assert.Equal(u.Length, manifest.Rows["interactionsKept"]);
    }

    [Fact]
    public async Task Rerun_ReplacesThePartitionAtomically_AndKeepsOnlyThePreviousVersion()
    {
        using var dir = new TempDir();
        await TinyDataset.WriteAsync(dir.Sub("input"));
        var config = TinyDataset.Config(
            dir,
            "input",
            """, "train": { "maxEpochs": 5, "evalEvery": 5, "device": "cpu" }"""
        );
        var table = Path.Combine(config.OutputDir, "recommendations");

        var first = await RunOnce.ExecuteAsync(config, Date, CancellationToken.None);
        var second = await RunOnce.ExecuteAsync(config, Date, CancellationToken.None);
        Assert.True(first.Succeeded && second.Succeeded, first.Error ?? second.Error);
        Assert.EndsWith(second.RunId, Publisher.CurrentVersion(table, Date));
        var runIds = (string[])(await Partition.ReadAsync(Path.Combine(table, "dt=" + Date)))["run_id"];
        Assert.All(runIds, r => Assert.Equal(second.RunId, r)); // no mix of runs

        var third = await RunOnce.ExecuteAsync(config, Date, CancellationToken.None);
        Assert.True(third.Succeeded, third.Error);
        var versions = Directory
            .GetDirectories(Path.Combine(table, ".versions", "dt=" + Date))
            .Select(Path.GetFileName)
            .Order()
            .ToArray();
        Assert.Equal(new[] { second.RunId, third.RunId }.Order(), versions);
    }

    [Fact]
    public async Task Run_FailsAtIngestNamingThePath_WhenTheInputFolderIsMissing()
    {
        using var dir = new TempDir();
        var config = TinyDataset.Config(dir, "no-such-input");

        var outcome = await RunOnce.ExecuteAsync(config, Date, CancellationToken.None);

        Assert.False(outcome.Succeeded);
        Assert.Equal("ingest", outcome.FailedStage);
        Assert.Contains(Path.Combine(dir.Path, "no-such-input"), outcome.Error);
        Assert.False(Directory.Exists(Path.Combine(config.OutputDir, "recommendations", "dt=" + Date)));
    }

    [Fact]
    public async Task Run_FailsNamingFileAndColumn_WhenTimestampIsMissing()
    {
        using var dir = new TempDir();
        await TinyDataset.WriteAsync(dir.Sub("input"), withTimestamp: false);
        var config = TinyDataset.Config(dir, "input");

        var outcome = await RunOnce.ExecuteAsync(config, Date, CancellationToken.None);

        Assert.False(outcome.Succeeded);
        Assert.Equal("ingest", outcome.FailedStage);
        Assert.Contains("timestamp", outcome.Error);
        Assert.Contains("part-00000.parquet", outcome.Error);
        Assert.False(Directory.Exists(Path.Combine(config.OutputDir, "recommendations")));
    }

    [Fact]
    public async Task Run_IsReproducible_ForTheSameConfigAndSeed()
    {
        using var dir = new TempDir();
        await TinyDataset.WriteAsync(dir.Sub("input"));
        var config = TinyDataset.Config(
            dir,
            "input",
            """, "train": { "maxEpochs": 10, "evalEvery": 5, "device": "cpu" }"""
        );
        async Task<double[]> MetricsOf(RunOutcome o)
        {
            Assert.True(o.Succeeded, o.Error);
            var file = Directory
                .GetFiles(Path.Combine(config.OutputDir, "metrics", "dt=" + Date), "*.parquet")
                .Single();
            return (await OutputTables.ReadMetricsAsync(file))
                .OrderBy(m => (m.Split, m.Metric, m.K))
                .Select(m => m.Value)
                .ToArray();
        }
        var a = await MetricsOf(await RunOnce.ExecuteAsync(config, Date, CancellationToken.None));
        var b = await MetricsOf(await RunOnce.ExecuteAsync(config, Date, CancellationToken.None));
        Assert.Equal(a, b);
    }
}
