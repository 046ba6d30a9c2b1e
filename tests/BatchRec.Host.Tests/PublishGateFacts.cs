using BatchRec.Host.Dashboard;
using BatchRec.Jobs.Configuration;
using BatchRec.Jobs.Io;
using BatchRec.Jobs.Orchestration;
using BatchRec.Jobs.Publishing;
using BatchRec.Jobs.Runs;
using BatchRec.Jobs.Stages;
using Hangfire.InMemory;
using Xunit;

namespace BatchRec.Host.Tests;

/// <summary>The publish gate end to end: a night whose input collapses is rejected and yesterday's partitions stay.</summary>
[Collection("hangfire")]
public sealed class PublishGateFacts
{
    private const string Night1 = "2026-11-27",
        Night2 = "2026-11-28";

    /// <summary>The tiny dataset with the champion check off, so that only the gate can reject; <paramref name="publish"/> adds publish keys.</summary>
    internal static LoadedConfig Config(TempDir dir, string publish = "") =>
        TinyDataset.Config(
            dir,
            "input",
            $$""", "train": { "maxEpochs": 5, "evalEvery": 5, "device": "cpu" }, "publish": { "championCheck": false{{publish}} }"""
        );

    /// <summary>Rewrites the interactions partition with only the rows of the first user (an upstream export with one user left).</summary>
    internal static async Task CollapseToOneUserAsync(string input)
    {
        var (u, i, t, w) = TinyDataset.Interactions();
        var keep = Enumerable.Range(0, u.Length).Where(r => u[r] == u[0]).ToArray();
        await ColumnarFile.WriteAsync(
            Path.Combine(input, "interactions", "dt=2026-11-27", "part-00000.parquet"),
            [
                new("user_id", keep.Select(r => u[r]).ToArray()),
                new("item_id", keep.Select(r => i[r]).ToArray()),
                new("weight", keep.Select(r => w[r]).ToArray()),
                new("timestamp", keep.Select(r => t[r]).ToArray()),
            ]
        );
    }

    [Fact]
    public async Task Run_RejectsTheNightAndKeepsYesterdaysPartition_WhenTheInputCollapsesToOneUser()
    {
        using var dir = new TempDir();
        await TinyDataset.WriteAsync(dir.Sub("input"));
        var config = Config(dir);
        var recTable = Path.Combine(config.OutputDir, "recommendations");

        // night 1 on the normal data: published; the gate predicted exactly the rows the shards wrote
        var first = await RunOnce.ExecuteAsync(config, Night1, CancellationToken.None);
        Assert.True(first.Succeeded && first.State == RunState.Published, first.Error ?? first.Reason);
        var firstFolder = new RunFolder(Path.Combine(config.WorkDir, "runs", first.RunId));
        var firstGate = EvaluateJob.ReadDecision(firstFolder)!.Gate!;
        var manifest = Json.Read<Manifest>(
            Path.Combine(config.OutputDir, "manifests", "dt=" + Night1, first.RunId + ".json")
        );
        Assert.True(firstGate.Pass);
        Assert.Equal((manifest.Rows["users"], manifest.Rows["recommendations"]), (firstGate.Users, firstGate.Rows));
        Assert.Equal((long)TinyDataset.Users, manifest.Rows["users"]);
        var yesterday = Publisher.CurrentVersion(recTable, Night1);

        // night 2: one user left, so 1 of 30 users and 5 of 150 rows: rejected like a champion rejection
        await CollapseToOneUserAsync(dir.Sub("input"));
        var second = await RunOnce.ExecuteAsync(config, Night2, CancellationToken.None);

        Assert.True(second.Succeeded, second.Error);
        Assert.Equal(RunState.Rejected, second.State);
        Assert.Contains(
            "publish gate: 1 users would get recommendations, 3.33% of the 30 of the last published run " + first.RunId,
            second.Reason
        );
        Assert.Contains("publish.minUsersFraction = 0.5 requires at least 15", second.Reason);
        Assert.Contains("5 recommendation rows", second.Reason);
        var secondFolder = new RunFolder(Path.Combine(config.WorkDir, "runs", second.RunId));
        var outcome = Json.Read<RunOutcomeRecord>(secondFolder.OutcomeJson);
        Assert.Equal(("rejected", second.Reason), (outcome.State, outcome.Reason));
        Assert.Equal(
            (false, 1L, 5L, first.RunId, 30L, 150L),
            (
                outcome.Gate!.Pass,
                outcome.Gate.Users,
                outcome.Gate.Rows,
                outcome.Gate.LastRun,
                outcome.Gate.LastUsers,
                outcome.Gate.LastRows
            )
        );
        // nothing published: yesterday's partition as it was, no partition and no manifest for the night
        Assert.Equal(yesterday, Publisher.CurrentVersion(recTable, Night1));
        Assert.True(File.Exists(Path.Combine(recTable, "dt=" + Night1, "_SUCCESS")));
        Assert.Null(Publisher.CurrentVersion(recTable, Night2));
        Assert.Null(Publisher.CurrentVersion(Path.Combine(config.OutputDir, "metrics"), Night2));
        Assert.False(Directory.Exists(Path.Combine(config.OutputDir, "manifests", "dt=" + Night2)));
        Assert.Equal(first.RunId, Json.Read<LastPublishedRecord>(PublishGate.LastPublishedPath(config)).RunId);
        // the Runs page shows the rejection with its reason
        var row = RunRow.Load(config, new InMemoryStorage()).Single(r => r.RunId == second.RunId);
        Assert.Equal(("rejected", second.Reason), (row.State, row.Note));

        // the same night with the gate off publishes the collapsed partition: the gate is what stopped it
        var ungated = await RunOnce.ExecuteAsync(
            Config(dir, """, "minUsersFraction": 0, "minRowsFraction": 0"""),
            Night2,
            CancellationToken.None
        );
        Assert.True(ungated.Succeeded && ungated.State == RunState.Published, ungated.Error ?? ungated.Reason);
        var published = await Partition.ReadAsync(Path.Combine(recTable, "dt=" + Night2));
        Assert.Equal(5, published["user_id"].Length);
    }

    [Fact]
    public void LastPublished_TakesTheNewestManifest_WhenNoPointerWasWrittenYet()
    {
        using var dir = new TempDir();
        var config = Config(dir);
        void WriteManifest(string date, string runId, string at, long users, long rows) =>
            Json.WriteTextAtomic(
                Path.Combine(config.OutputDir, "manifests", "dt=" + date, runId + ".json"),
                $$"""{ "runId": "{{runId}}", "publishedUtc": "{{at}}", "rows": { "users": {{users}}, "recommendations": {{rows}} } }"""
            );
        WriteManifest("2026-11-26", "old", "2026-11-26T03:00:00+00:00", 10, 100);
        WriteManifest("2026-11-20", "backfilled-last", "2026-11-27T03:00:00+00:00", 20, 200); // published last, for an older date
        WriteManifest("2026-11-25", "older", "2026-11-25T03:00:00+00:00", 30, 300);

        Assert.Equal(("backfilled-last", 20L, 200L), PublishGate.LastPublished(config));
        var gate = PublishGate.Check(config, users: 9, rows: 200)!;
        Assert.False(gate.Pass); // 9 < 0.5 × 20
        Assert.Contains(
            "9 users would get recommendations, 45% of the 20 of the last published run backfilled-last",
            gate.Reason
        );
        Assert.DoesNotContain("recommendation rows", gate.Reason); // 200 rows are enough
        Assert.True(PublishGate.Check(config, users: 10, rows: 100)!.Pass); // exactly the fractions pass
    }

    [Fact]
    public void Check_PassesWithNothingToCompare_AndIsOff_WhenBothFractionsAreZero()
    {
        using var dir = new TempDir();

        var first = PublishGate.Check(Config(dir), users: 1, rows: 1)!;

        Assert.True(first.Pass);
        Assert.Contains("no run published yet", first.Reason);
        Assert.Null(PublishGate.Check(Config(dir, """, "minUsersFraction": 0, "minRowsFraction": 0"""), 1, 1));
    }
}
