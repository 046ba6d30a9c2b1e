using BatchRec.Core;
using BatchRec.Jobs.Ingest;
using BatchRec.Jobs.Io;
using BatchRec.Jobs.Publishing;
using BatchRec.Jobs.Runs;
using BatchRec.Jobs.Stages;
using BatchRec.Jobs.Store;
using BatchRec.Jobs.Tests.Io;
using Parquet.Schema;
using Xunit;
using static BatchRec.Jobs.Tests.Ingest.IngestFixtures;

namespace BatchRec.Jobs.Tests.Ingest;

public sealed class IngestorFacts : IDisposable
{
    private const long T = 1_700_000_000;
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task RunAsync_QuarantinesEachBadRowWithItsOriginalValuesAndReason_AndCountsAddUp()
    {
        var longId = new string('x', 1025);
        var file = await WriteAsync(
            PartitionFile(_dir.Path, "2026-11-27"),
            [
                new("u1", "i1", T, 4, "click"), // 0 good
                new(null, "i1", T), // 1 user_id_null
                new("u1", "", T), // 2 item_id_empty
                new(longId, "i1", T), // 3 user_id_too_long
                new("u1", "i1", null), // 4 timestamp_null
                new("u1", "i1", -5), // 5 timestamp_out_of_range
                new("u1", "i1", 9_000_000_000), // 6 timestamp_out_of_range
                new("u1", "i1", T, double.NaN), // 7 weight_not_finite
                new("u1", "i1", T, double.PositiveInfinity), // 8 weight_not_finite
                new("用户🙂", "i1", T + 1), // 9 good (unicode)
                new("u1", "i1", T, 2, "click"), // 10 duplicate of 0 (lower weight)
                new("u1", "i1", T, 1, "buy"), // 11 good: another event type
            ]
        );
        var config = Config(_dir.Path, "\"maxBadFraction\": 1");

        var result = await IngestAsync(config);

        var l = result.Lineage;
        Assert.Equal(12, l.Read);
        Assert.Equal(3, l.Kept);
        Assert.Equal(1, l.Deduplicated);
        Assert.Equal(8, l.Quarantined);
        Assert.Equal(l.Read, l.Kept + l.Deduplicated + l.Quarantined);
        Assert.Equal(
            new Dictionary<string, long>
            {
                [Reason.UserIdNull] = 1,
                [Reason.ItemIdEmpty] = 1,
                [Reason.UserIdTooLong] = 1,
                [Reason.TimestampNull] = 1,
                [Reason.TimestampOutOfRange] = 2,
                [Reason.WeightNotFinite] = 2,
            },
            l.QuarantinedByReason
        );

        var q = (await QuarantineAsync(result)).OrderBy(r => r.SourceRow).ToList();
        Assert.Equal([1L, 2, 3, 4, 5, 6, 7, 8], q.Select(r => r.SourceRow));
        Assert.All(q, r => Assert.Equal(file, r.SourceFile));
        Assert.All(q, r => Assert.Equal("2026-11-27", r.Partition));
        Assert.Null(q[0].UserId); // null stays null
        Assert.Equal("", q[1].ItemId); // empty stays empty
        Assert.Equal(longId, q[2].UserId);
        Assert.Null(q[3].Timestamp);
        Assert.Equal("-5", q[4].Timestamp);
        Assert.Equal("9000000000", q[5].Timestamp);
        Assert.Equal("NaN", q[6].Weight);
        Assert.Equal(
            float.PositiveInfinity.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
            q[7].Weight
        );
        Assert.Equal(
            [
                Reason.UserIdNull,
                Reason.ItemIdEmpty,
                Reason.UserIdTooLong,
                Reason.TimestampNull,
                Reason.TimestampOutOfRange,
                Reason.TimestampOutOfRange,
                Reason.WeightNotFinite,
                Reason.WeightNotFinite,
            ],
            q.Select(r => r.Reason)
        );

        var s = result.Snapshot!;
        Assert.Equal(3, s.Interactions.Count);
        Assert.Equal(["u1", "用户🙂"], s.UserIds.Ids);
        // the duplicate kept the larger weight
        Assert.Contains(4f, s.Interactions.Weights);
        Assert.DoesNotContain(2f, s.Interactions.Weights);
    }

    [Fact]
    public async Task IngestJob_FailsNamingThePartitionAndPublishesTheQuarantine_WhenBadRowsExceedTheCeiling()
    {
        var rows = Enumerable.Range(0, 20).Select(k => new Row("u" + k, "i1", T)).ToList();
        rows[3] = rows[3] with { User = null };
        rows[7] = rows[7] with { Weight = double.NaN };
        var file = await WriteAsync(PartitionFile(_dir.Path, "2026-11-27"), rows);
        var config = Config(_dir.Path, "\"maxBadFraction\": 0.05"); // 2 of 20 = 10%
        var folder = RunFolder.Create(config, Date, "test", DateTimeOffset.UtcNow);

        var e = await Assert.ThrowsAsync<InputFormatException>(() =>
            new IngestJob(Serilog.Core.Logger.None).RunAsync(folder.Path, CancellationToken.None)
        );

        Assert.Contains("dt=2026-11-27", e.Message);
        Assert.Contains(file, e.Message);
        Assert.Contains("2 of 20 rows (10%)", e.Message);
        Assert.Contains("ingest.maxBadFraction = 0.05", e.Message);
        Assert.Contains("user_id_null 1, weight_not_finite 1", e.Message);
        Assert.False(File.Exists(Path.Combine(folder.SnapshotDir, "snapshot.json"))); // nothing for training
        var table = Path.Combine(config.OutputDir, "quarantine");
        var published = Path.Combine(table, "dt=" + Date);
        Assert.True(File.Exists(Path.Combine(published, "_SUCCESS")));
        Assert.Equal(
            Publisher.CurrentVersion(table, Date),
            Path.GetFullPath(Path.Combine(table, ".versions", "dt=" + Date, folder.ReadContext().RunId))
        );
        var q = await QuarantineWriter.ReadAsync(Assert.Single(Directory.GetFiles(published, "*.parquet")));
        Assert.Equal([3L, 7], q.Select(r => r.SourceRow).Order());
        var lineage = IngestLineage.TryRead(folder)!;
        Assert.Single(lineage.CeilingViolations);
        Assert.Equal(2, lineage.Quarantined);
    }

    [Fact]
    public async Task IngestJob_WritesSnapshotLineageAndAnEmptyQuarantine_WhenEveryRowIsGood()
    {
        await WriteAsync(PartitionFile(_dir.Path, null), [new("u1", "i1", T), new("u2", "i1", T), new("u1", "i2", T)]);
        var config = Config(_dir.Path);
        var folder = RunFolder.Create(config, Date, "test", DateTimeOffset.UtcNow);

        await new IngestJob(Serilog.Core.Logger.None).RunAsync(folder.Path, CancellationToken.None);

        var info = SnapshotStore.ReadInfo(folder.SnapshotDir);
        Assert.Equal(3, info.InteractionsRead);
        var lineage = IngestLineage.TryRead(folder)!;
        Assert.Equal((3L, 3L, 0L, 0L), (lineage.Read, lineage.Kept, lineage.Deduplicated, lineage.Quarantined));
        var published = Path.Combine(config.OutputDir, "quarantine", "dt=" + Date);
        Assert.Empty(await QuarantineWriter.ReadAsync(Assert.Single(Directory.GetFiles(published, "*.parquet"))));
        Assert.Equal(
            Path.GetFullPath(lineage.QuarantineVersion!),
            Publisher.CurrentVersion(Path.Combine(config.OutputDir, "quarantine"), Date)
        );
    }

    [Theory]
    [InlineData("keep", 3, 0)]
    [InlineData("quarantine", 2, 1)]
    public async Task RunAsync_KeepsOrQuarantinesUnknownItems_AsConfigured(string mode, int kept, int quarantined)
    {
        await WriteAsync(
            PartitionFile(_dir.Path, null),
            [new("u1", "i1", T), new("u2", "i1", T), new("u1", "ghost", T)]
        );
        await TestParquet.WriteAsync(
            Path.Combine(_dir.Path, "input", "items", "items.parquet")
                .Also(p => Directory.CreateDirectory(Path.GetDirectoryName(p)!)),
            [new DataField<string>("item_id")],
            [new[] { "i1", "i2" }]
        );
        var config = Config(_dir.Path, $"\"unknownItems\": \"{mode}\", \"maxBadFraction\": 1");

        var result = await IngestAsync(config);

        Assert.Equal(kept, result.Lineage.Kept);
        Assert.Equal(quarantined, result.Lineage.Quarantined);
        Assert.Equal(kept, result.Snapshot!.Interactions.Count);
        var q = await QuarantineAsync(result);
        Assert.Equal(quarantined, q.Count);
        if (quarantined > 0)
        {
            Assert.Equal(("ghost", Reason.ItemUnknown, 2L), (q[0].ItemId, q[0].Reason, q[0].SourceRow));
            Assert.Equal(1, result.Lineage.QuarantinedByReason[Reason.ItemUnknown]);
        }
    }

    [Theory]
    [InlineData("quarantine", "keep")] // the defaults
    [InlineData("keep", "keep")]
    [InlineData("quarantine", "quarantine")]
    [InlineData("keep", "quarantine")]
    public async Task RunAsync_CountsNegativeAndZeroWeights_AndKeepsOrQuarantinesThemByTheirRule(
        string negative,
        string zero
    )
    {
        var file = await WriteAsync(
            PartitionFile(_dir.Path, null),
            [
                new("u1", "i1", T, 4),
                new("u1", "i2", T, -1),
                new("u2", "i1", T, 0),
                new("u2", "i2", T, -0.5),
                new("u3", "i1", T, -0.0),
                new("u3", "i2", T, 2),
                new(null, "i3", T, -7), // a null user is quarantined for that, not for its weight
            ]
        );
        var config = Config(
            _dir.Path,
            $"\"negativeWeights\": \"{negative}\", \"zeroWeights\": \"{zero}\", \"maxBadFraction\": 1"
        );

        var result = await IngestAsync(config);

        var l = result.Lineage;
        Assert.Equal((2L, 2L), (l.NegativeWeights, l.ZeroWeights)); // counted whatever the rule
        var quarantinedNegative = negative == "quarantine" ? 2 : 0;
        var quarantinedZero = zero == "quarantine" ? 2 : 0;
        Assert.Equal(quarantinedNegative, l.QuarantinedByReason.GetValueOrDefault(Reason.WeightNegative));
        Assert.Equal(quarantinedZero, l.QuarantinedByReason.GetValueOrDefault(Reason.WeightZero));
        Assert.Equal(1, l.QuarantinedByReason[Reason.UserIdNull]);
        Assert.Equal(6 - quarantinedNegative - quarantinedZero, l.Kept);
        var q = await QuarantineAsync(result);
        Assert.Equal(
            quarantinedNegative,
            q.Count(r =>
                r.Reason == Reason.WeightNegative
                && float.Parse(r.Weight!, System.Globalization.CultureInfo.InvariantCulture) < 0
            )
        );
        Assert.All(q, r => Assert.Equal(file, r.SourceFile));
        Assert.Equal(l.Read, l.Kept + l.Deduplicated + l.Quarantined);
    }

    private async Task ItemsAsync(string name, params string[] ids)
    {
        var path = Path.Combine(_dir.Path, "input", "items", name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await TestParquet.WriteAsync(
            path,
            [new DataField<string>("item_id"), new DataField<string>("title")],
            [ids, ids.Select(i => "title of " + i).ToArray()]
        );
    }

    [Fact]
    public async Task RunAsync_CountsRepeatedItemsTableRows_AndKeepsTheFirstOfEachId_WhenDuplicateItemsIsFirst()
    {
        await WriteAsync(PartitionFile(_dir.Path, null), [new("u1", "i1", T), new("u2", "i2", T)]);
        await ItemsAsync("a.parquet", "i1", "i2", "i1");
        await ItemsAsync("b.parquet", "i2", "i3");

        var result = await IngestAsync(Config(_dir.Path));

        Assert.Equal((5L, 2L), (result.Lineage.ItemsTableRows, result.Lineage.DuplicateItems));
        Assert.Equal(3, result.Info!.Items);
        Assert.Equal(5, result.Info.CatalogueItems);
    }

    [Fact]
    public async Task RunAsync_FailsNamingBothRows_WhenDuplicateItemsIsFailAndAnItemIdRepeats()
    {
        await WriteAsync(PartitionFile(_dir.Path, null), [new("u1", "i1", T)]);
        await ItemsAsync("a.parquet", "i1", "i2");
        await ItemsAsync("b.parquet", "i3", "i2");
        var a = Path.Combine(_dir.Path, "input", "items", "a.parquet");
        var b = Path.Combine(_dir.Path, "input", "items", "b.parquet");

        var e = await Assert.ThrowsAsync<InputFormatException>(() =>
            IngestAsync(Config(_dir.Path, "\"duplicateItems\": \"fail\""))
        );

        Assert.Equal((b, 1L, "item_id"), (e.File, e.Row, e.Column));
        Assert.Contains($"item id 'i2' was already given by row 1 of {a}", e.Message);
        Assert.Contains("ingest.duplicateItems = fail", e.Message);
    }

    [Fact]
    public async Task RunAsync_FloorsMillisecondsToSeconds_WhenTimestampUnitIsMilliseconds()
    {
        await WriteAsync(
            PartitionFile(_dir.Path, null),
            [new("u1", "i1", 1_700_000_000_999), new("u1", "i2", 1_600_000_000_000)]
        );
        var result = await IngestAsync(Config(_dir.Path, "\"timestampUnit\": \"milliseconds\""));

        Assert.Equal([1_600_000_000L, 1_700_000_000], result.Snapshot!.Interactions.Timestamps.Order());
    }

    [Fact]
    public async Task RunAsync_ListsColumnsTheContractDoesNotName()
    {
        var path = PartitionFile(_dir.Path, null);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await TestParquet.WriteAsync(
            path,
            [
                new DataField<long>("user_id"),
                new DataField<long>("item_id"),
                new DataField<long>("timestamp"),
                new DataField<string>("user_agent"),
                new DataField<bool>("is_bot"),
            ],
            [new long[] { 1 }, new long[] { 2 }, new long[] { T }, new[] { "curl" }, new[] { false }]
        );

        var result = await IngestAsync(Config(_dir.Path));

        var p = Assert.Single(result.Lineage.Partitions);
        Assert.Equal(["user_agent", "is_bot"], p.Stats.ExtraColumns[path]);
        Assert.Equal(IdKind.Int64, result.Info!.UserIdKind);
    }

    [Fact]
    public async Task RunAsync_ReusesUnchangedPartitions_PicksUpLateOnes_AndMatchesAOneShotIngest()
    {
        Row R(int u, int i, int day) => new("u" + u, "i" + i, T + day * 86_400 + u);
        await WriteAsync(PartitionFile(_dir.Path, "2026-11-26"), [R(1, 1, 0), R(2, 1, 0), R(3, 2, 0)]);
        await WriteAsync(PartitionFile(_dir.Path, "2026-11-27"), [R(1, 2, 1), R(2, 3, 1), R(1, 1, 0)]); // last row repeats 11-26's first
        var config = Config(_dir.Path);

        var night1 = await IngestAsync(config);
        Assert.All(night1.Lineage.Partitions, p => Assert.False(p.Reused));
        Assert.Equal(1, night1.Lineage.DeduplicatedAcrossPartitions);

        // a late partition for a past date, and the same partitions again
        await WriteAsync(PartitionFile(_dir.Path, "2026-11-20"), [R(4, 1, -6), R(1, 3, -6)]);
        var night2 = await IngestAsync(config);
        Assert.Equal(
            ["2026-11-20", "2026-11-26", "2026-11-27"],
            night2.Lineage.Partitions.Select(p => p.Stats.Partition)
        );
        Assert.Equal([false, true, true], night2.Lineage.Partitions.Select(p => p.Reused));
        var night3 = await IngestAsync(config);
        Assert.All(night3.Lineage.Partitions, p => Assert.True(p.Reused));
        SameSnapshot(night2.Snapshot!, night3.Snapshot!);
        static object Counts(IngestLineage l) =>
            (l.Read, l.Kept, l.Deduplicated, l.DeduplicatedAcrossPartitions, l.Quarantined);
        Assert.Equal(Counts(night2.Lineage), Counts(night3.Lineage));

        var fresh = await IngestAsync(Config(_dir.Path, work: "work-fresh"));
        SameSnapshot(fresh.Snapshot!, night3.Snapshot!);
        Assert.Equal(7, fresh.Lineage.Kept);
    }

    [Fact]
    public async Task RunAsync_RecompactsAPartitionWhoseFileChanged_AndDropsItsOldEntry()
    {
        var path = await WriteAsync(PartitionFile(_dir.Path, "2026-11-27"), [new("u1", "i1", T)]);
        var config = Config(_dir.Path);
        var first = await IngestAsync(config);
        await WriteAsync(path, [new("u1", "i1", T), new("u2", "i1", T)]);

        var second = await IngestAsync(config);

        Assert.False(Assert.Single(second.Lineage.Partitions).Reused);
        Assert.Equal(2, second.Lineage.Kept);
        var entries = Directory.GetDirectories(Path.Combine(Ingestor.StoreOf(config).Root, "dt=2026-11-27"));
        Assert.Equal(second.Lineage.Partitions[0].Stats.Key, Path.GetFileName(Assert.Single(entries)));
        Assert.NotEqual(first.Lineage.Partitions[0].Stats.Key, second.Lineage.Partitions[0].Stats.Key);
    }

    [Fact]
    public async Task RunAsync_WaitsForAnotherIngestOfTheDataset_BeforeTouchingTheStore()
    {
        await WriteAsync(PartitionFile(_dir.Path, "2026-11-27"), [new("u1", "i1", T)]);
        var config = Config(_dir.Path);
        var held = await Ingestor.StoreOf(config).LockAsync(TimeSpan.FromSeconds(1), CancellationToken.None);

        var run = IngestAsync(config);
        await Task.Delay(700);
        Assert.False(run.IsCompleted);
        await Assert.ThrowsAsync<TimeoutException>(() =>
            Ingestor.StoreOf(config).LockAsync(TimeSpan.FromMilliseconds(300), CancellationToken.None)
        );
        held.Dispose();

        Assert.Equal(1, (await run.WaitAsync(TimeSpan.FromSeconds(30))).Lineage.Kept);
    }

    [Fact]
    public async Task RunAsync_ReadsOnlyTheWindow_WhenWindowDaysIsSet()
    {
        await WriteAsync(PartitionFile(_dir.Path, "2026-11-26"), [new("old", "i1", T)]);
        await WriteAsync(PartitionFile(_dir.Path, "2026-11-27"), [new("u1", "i1", T)]);
        await WriteAsync(PartitionFile(_dir.Path, "2026-11-28"), [new("u2", "i1", T)]);
        await WriteAsync(PartitionFile(_dir.Path, "2026-11-29"), [new("future", "i1", T)]);

        var result = await IngestAsync(Config(_dir.Path, "\"windowDays\": 2"));

        Assert.Equal(["dt=2026-11-26", "dt=2026-11-29"], result.Lineage.PartitionsOutsideWindow);
        Assert.Equal(["u1", "u2"], result.Snapshot!.UserIds.Ids);
        Assert.Equal(2, result.Lineage.Read);
        Assert.Equal(2, result.Info!.Inputs.Count);
    }

    [Fact]
    public async Task RunAsync_FailsNamingTheFolder_WhenNoPartitionIsInTheWindow()
    {
        await WriteAsync(PartitionFile(_dir.Path, "2026-01-01"), [new("u1", "i1", T)]);

        var e = await Assert.ThrowsAsync<InputFormatException>(() =>
            IngestAsync(Config(_dir.Path, "\"windowDays\": 7"))
        );

        Assert.Contains(Path.Combine(_dir.Path, "input", "interactions"), e.Message);
        Assert.Contains("ingest.windowDays = 7", e.Message);
    }
}

internal static class TestExtensions
{
    public static T Also<T>(this T value, Action<T> action)
    {
        action(value);
        return value;
    }
}
