using BatchRec.Jobs.Ingest;
using BatchRec.Jobs.Orchestration;
using BatchRec.Jobs.Runs;
using Xunit;

namespace BatchRec.Jobs.Tests.Ingest;

/// <summary>The ingest lineage as the published run manifest carries it, after a whole run with some bad rows.</summary>
[Collection("hangfire")]
public sealed class IngestManifestFacts
{
    private const string Date = "2026-11-28";

    [Fact]
    public async Task Run_PublishesQuarantineAndManifestLineage_WhenSomeRowsAreBad()
    {
        using var dir = new TempDir();
        var rows = await TinyDataset.WriteAsync(dir.Sub("input"));
        var (u, i, t, _) = TinyDataset.Interactions();
        // a second, late partition: two duplicates of the first partition's rows and one row with a null user
        var late = Path.Combine(dir.Sub("input"), "interactions", "dt=2026-11-20", "part-0.parquet");
        await IngestFixtures.WriteAsync(
            late,
            [
                new(u[0].ToString(), i[0].ToString(), t[0], 5),
                new(u[1].ToString(), i[1].ToString(), t[1]),
                new(null, "50", t[2]),
            ]
        );
        var config = TinyDataset.Config(
            dir,
            "input",
            """, "train": { "maxEpochs": 2, "evalEvery": 1, "device": "cpu" }, "ingest": { "maxBadFraction": 0.5 }"""
        );

        var outcome = await RunOnce.ExecuteAsync(config, Date, CancellationToken.None);

        // the fixture's ids are int64 in one partition and strings in the other: a mixed table fails naming both files
        Assert.False(outcome.Succeeded);
        Assert.Contains(late, outcome.Error);
        Assert.Contains("part-00000.parquet", outcome.Error);

        // with int64 ids in both partitions the run succeeds and the manifest tells what happened
        File.Delete(late);
        await Io.TestParquet.WriteAsync(
            late,
            [
                new Parquet.Schema.DataField<long?>("user_id"),
                new Parquet.Schema.DataField<long>("item_id"),
                new Parquet.Schema.DataField<long>("timestamp"),
                new Parquet.Schema.DataField<float>("weight"),
            ],
            [
                new long?[] { u[0], u[1], null, 1000, 1001 },
                new[] { i[0], i[1], 50L, 51, 50 },
                new[] { t[0], t[1], t[2], t[0], t[0] },
                new[] { 5f, 1f, 1f, 0f, -2f },
            ]
        );
        // rows 3 and 4 are new pairs (user 1000 never saw item 51, nor user 1001 item 50): a zero weight (kept by
        // default) and a negative one (quarantined by default)
        outcome = await RunOnce.ExecuteAsync(config, Date, CancellationToken.None);
        Assert.True(outcome.Succeeded, outcome.Error);

        var manifest = Json.Read<Manifest>(
            Path.Combine(config.OutputDir, "manifests", "dt=" + Date, outcome.RunId + ".json")
        );
        var ingest = manifest.Ingest!;
        Assert.Equal(rows + 5, ingest.Read);
        Assert.Equal(rows + 1, ingest.Kept);
        Assert.Equal(2, ingest.Deduplicated);
        Assert.Equal(2, ingest.DeduplicatedAcrossPartitions);
        Assert.Equal(2, ingest.Quarantined);
        Assert.Equal(1, ingest.QuarantinedByReason["user_id_null"]);
        Assert.Equal(1, ingest.QuarantinedByReason["weight_negative"]);
        Assert.Equal(["2026-11-20", "2026-11-27"], ingest.Partitions.Select(p => p.Stats.Partition));
        Assert.All(ingest.Partitions, p => Assert.All(p.Stats.Files, f => Assert.Equal(64, f.Sha256.Length)));
        Assert.Equal(ingest.Read, manifest.Rows["interactionsRead"]);
        Assert.Equal(ingest.Kept, manifest.Rows["interactionsKept"]);
        Assert.Equal(ingest.Quarantined, manifest.Rows["interactionsQuarantined"]);
        Assert.Equal(ingest.Deduplicated, manifest.Rows["interactionsDeduplicated"]);
        Assert.Equal(
            (1L, 1L, (long)TinyDataset.Items, 0L),
            (
                manifest.Rows["interactionsNegativeWeight"],
                manifest.Rows["interactionsZeroWeight"],
                manifest.Rows["itemsTableRows"],
                manifest.Rows["itemsDuplicated"]
            )
        );
        Assert.Equal(config.Sha256, manifest.ConfigSha256);
        Assert.Matches("\\+[0-9a-f]{40}", manifest.CodeVersion); // the git commit
        var quarantine = Path.Combine(config.OutputDir, "quarantine", "dt=" + Date);
        Assert.True(File.Exists(Path.Combine(quarantine, "_SUCCESS")));
        Assert.Equal(
            Path.GetFullPath(ingest.QuarantineVersion!),
            Path.GetFullPath(Path.Combine(config.OutputDir, "quarantine", new DirectoryInfo(quarantine).LinkTarget!))
        );
        var q = await QuarantineWriter.ReadAsync(Path.Combine(quarantine, "part-dt=2026-11-20.parquet"));
        Assert.Equal(
            [(null, "user_id_null", 2L, late), ("1001", "weight_negative", 4L, late)],
            q.Select(r => (r.UserId, r.Reason, r.SourceRow, r.SourceFile))
        );
    }
}
