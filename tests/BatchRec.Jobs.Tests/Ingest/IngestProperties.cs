using BatchRec.Core;
using BatchRec.Jobs.Ingest;
using BatchRec.Jobs.Tests.Io;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xunit;
using static BatchRec.Jobs.Tests.Ingest.IngestFixtures;

namespace BatchRec.Jobs.Tests.Ingest;

/// <summary>The two properties of the ingest issue, over real Parquet files and the real partition store.</summary>
public sealed class IngestProperties
{
    private const long T = 1_700_000_000;

    /// <summary>A row that is good, or broken in one of the ways the rules catch; ids come from small pools so duplicates are common.</summary>
    private static Gen<Row> Rows()
    {
        var id = Gen.Frequency<string?>(
            (10, Gen.Elements<string?>("1", "2", "3", "ä", "🙂")),
            (1, Gen.Constant<string?>(null)),
            (1, Gen.Elements<string?>("", " ")),
            (1, Gen.Constant<string?>(new string('x', 1025)))
        );
        var time = Gen.Frequency(
            (10, Gen.Elements<long?>(T, T + 1)),
            (1, Gen.Constant<long?>(null)),
            (1, Gen.Elements<long?>(-1, long.MaxValue))
        );
        var weight = Gen.Frequency(
            (10, Gen.Elements<double?>(1, 2, null)),
            (1, Gen.Elements<double?>(double.NaN, double.NegativeInfinity))
        );
        var ev = Gen.Elements<string?>(null, "click", "buy");
        return id.SelectMany(u =>
            id.SelectMany(i => time.SelectMany(t => weight.SelectMany(w => ev.Select(e => new Row(u, i, t, w, e)))))
        );
    }

    /// <summary>1 to 4 partitions (dates 2026-11-20 + k) of 0 to 30 rows each.</summary>
    private static Arbitrary<List<Row>[]> Partitions() =>
        Gen.Choose(1, 4)
            .SelectMany(n => Gen.ArrayOf(Gen.Choose(0, 30).SelectMany(size => Gen.ListOf(Rows(), size)), n))
            .ToArbitrary();

    private static string Dt(int k) => $"2026-11-{20 + k:00}";

    private static bool IsBad(Row r) =>
        string.IsNullOrWhiteSpace(r.User)
        || string.IsNullOrWhiteSpace(r.Item)
        || r.User.Length > 1024
        || r.Item.Length > 1024
        || r.Time is not { } t
        || t < 0
        || t > 4_102_444_800
        || r.Weight is { } w && !double.IsFinite(w);

    [Property(MaxTest = 25)]
    public Property KeptPlusQuarantinedPlusDeduplicated_EqualsRead_ForAnyMixOfGoodAndBadRows() =>
        Prop.ForAll(Partitions(), parts => Task.Run(async () =>
                {
                    using var dir = new TempDir();
                    for (int k = 0; k < parts.Length; k++)
                        await WriteAsync(PartitionFile(dir.Path, Dt(k)), parts[k], rowGroupSize: 7);
                    var all = parts.SelectMany(p => p).ToList();
                    var good = all.Where(r => !IsBad(r)).ToList();
                    var distinct = good.Select(r => (r.User, r.Item, r.Time, r.Event ?? "")).Distinct().Count();

                    var ingest = IngestAsync(Config(dir.Path, "\"maxBadFraction\": 1"), new DateOnly(2026, 11, 30));
                    if (distinct == 0)
                    {
                        // nothing to train on is a documented failure; its message still accounts for every row
                        var e = await Assert.ThrowsAsync<BatchRec.Jobs.Io.InputFormatException>(() => ingest);
                        Assert.Contains(
                            $"no good rows to train on: {all.Count} rows read, {all.Count - good.Count} quarantined",
                            e.Message
                        );
                        return true;
                    }
                    var result = await ingest;

                    var l = result.Lineage;
                    Assert.Equal(all.Count, l.Read);
                    Assert.Equal(l.Read, l.Kept + l.Quarantined + l.Deduplicated);
                    Assert.Equal(all.Count - good.Count, l.Quarantined); // the test's own oracle
                    Assert.Equal(l.Quarantined, (await QuarantineAsync(result)).Count); // and the published rows
                    Assert.Equal(l.Quarantined, l.QuarantinedByReason.Values.Sum());
                    Assert.Equal(distinct, l.Kept);
                    Assert.All(l.Partitions, p =>
                        Assert.Equal(p.Stats.Read, p.Stats.Kept + p.Stats.Deduplicated + p.Stats.QuarantinedTotal)
                    );
                    Assert.Equal(distinct, result.Snapshot!.Interactions.Count);
                    return true;
                })
                .GetAwaiter()
                .GetResult());

    [Property(MaxTest = 15)]
    public Property PartitionsIngestedInAnyOrder_OrOneTwice_GiveTheSameSnapshot() =>
        Prop.ForAll(Partitions(), Arb.From(Gen.Choose(0, int.MaxValue)), (parts, seed) => Task.Run(async () =>
                {
                    using var dir = new TempDir();
                    var rnd = new Random(seed);
                    var order = Enumerable.Range(0, parts.Length).OrderBy(_ => rnd.Next()).ToList();
                    order.Insert(rnd.Next(order.Count + 1), order[rnd.Next(order.Count)]); // one partition arrives twice
                    var config = Config(dir.Path, "\"maxBadFraction\": 1");
                    var date = new DateOnly(2026, 11, 30);

                    // nightly: partitions land one at a time in a random order (late ones included), each night ingests what is there
                    IngestResult? last = null;
                    foreach (var k in order)
                    {
                        await WriteAsync(PartitionFile(dir.Path, Dt(k)), parts[k], rowGroupSize: 7);
                        last = await IngestOrNullAsync(config, date);
                    }
                    var once = await IngestOrNullAsync(
                        Config(dir.Path, "\"maxBadFraction\": 1", work: "work-once"),
                        date
                    );

                    Assert.Equal(once is null, last is null);
                    if (once is not null)
                    {
                        SameSnapshot(once.Snapshot!, last!.Snapshot!);
                        Assert.Equal(once.Lineage.Read, last.Lineage.Read);
                        Assert.Equal(once.Lineage.Quarantined, last.Lineage.Quarantined);
                        Assert.Equal(once.Lineage.Deduplicated, last.Lineage.Deduplicated);
                    }
                    return true;
                })
                .GetAwaiter()
                .GetResult());

    /// <summary>The result, or null when there is no good row to build a snapshot from.</summary>
    private static async Task<IngestResult?> IngestOrNullAsync(
        BatchRec.Jobs.Configuration.LoadedConfig config,
        DateOnly date
    )
    {
        try
        {
            return await IngestAsync(config, date);
        }
        catch (BatchRec.Jobs.Io.InputFormatException e)
            when (e.Message.Contains("no good rows", StringComparison.Ordinal))
        {
            return null;
        }
    }
}
