using BatchRec.Core;
using BatchRec.Jobs.Bench;
using BatchRec.Jobs.Configuration;
using BatchRec.Jobs.Io;
using BatchRec.Jobs.Runs;
using Serilog;
using Xunit;

namespace BatchRec.Jobs.Tests.Bench;

/// <summary>The synthetic data generator and the benchmark harness (issue 6).</summary>
public class BenchFacts
{
    private static async Task<Dictionary<string, Array>> ReadAllAsync(string dir)
    {
        var tables = new List<IReadOnlyDictionary<string, Array>>();
        foreach (var p in Directory.GetFiles(dir, "*.parquet").Order(StringComparer.Ordinal))
            tables.Add(await ColumnarFile.ReadAsync(p));
        return tables[0]
            .Keys.ToDictionary(
                k => k,
                k =>
                {
                    var parts = tables.Select(t => t[k]).ToList();
                    var all = Array.CreateInstance(parts[0].GetType().GetElementType()!, parts.Sum(a => a.Length));
                    var o = 0;
                    foreach (var a in parts)
                    {
                        Array.Copy(a, 0, all, o, a.Length);
                        o += a.Length;
                    }
                    return all;
                }
            );
    }

    [Fact]
    public async Task Synth_WritesTheInputSchema_WithPowerLawPopularity_AndIsSeeded()
    {
        using var dir = new TempDir();
        var spec = new SyntheticSpec(
            Interactions: 60_000,
            Users: 3_000,
            Items: 600,
            RowsPerFile: 25_000,
            RowsPerGroup: 10_000
        );
        var summary = await SyntheticData.WriteAsync(spec, dir.Sub("a"));
        Assert.Equal(3, summary.Files); // 25k + 25k + 10k rows
        var rows = await ReadAllAsync(Path.Combine(dir.Sub("a"), "interactions"));
        var users = (long[])rows["user_id"];
        var items = (long[])rows["item_id"];
        Assert.Equal(60_000, users.Length);
        Assert.Equal(
            new[] { "event_type", "item_id", "timestamp", "user_id", "weight" },
            rows.Keys.Order(StringComparer.Ordinal)
        );
        // every user has at least MinPerUser interactions; ids are 1..n
        var perUser = users.GroupBy(u => u).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(3_000, perUser.Count);
        Assert.True(perUser.Values.Min() >= spec.MinPerUser);
        Assert.InRange(items.Min(), 1, 600);
        Assert.InRange(items.Max(), 1, 600);
        // power law: the top 10% of items take far more than 10% of the interactions
        var counts = items.GroupBy(i => i).Select(g => g.Count()).OrderByDescending(c => c).ToList();
        Assert.True(
            counts.Take(60).Sum() > 0.3 * items.Length,
            $"top 10% of items have {counts.Take(60).Sum()} of {items.Length}"
        );
        // items: one row each, tags start with the community's genre, text present
        var catalogue = await DatasetReader.ReadItemsAsync(
            DatasetReader.ListFiles(dir.Sub("a"), "items", required: true)
        );
        Assert.Equal(600, catalogue.Count);
        Assert.All(catalogue.Texts, t => Assert.StartsWith("A story of ", t));
        Assert.All(catalogue.Tags, t => Assert.StartsWith("genre-", t[0]));
        // seeded: the same spec gives the same rows; another seed does not
        await SyntheticData.WriteAsync(spec, dir.Sub("b"));
        Assert.Equal(items, (long[])(await ReadAllAsync(Path.Combine(dir.Sub("b"), "interactions")))["item_id"]);
        await SyntheticData.WriteAsync(spec with { Seed = 7 }, dir.Sub("c"));
        Assert.NotEqual(items, (long[])(await ReadAllAsync(Path.Combine(dir.Sub("c"), "interactions")))["item_id"]);
    }

    [Fact]
    public async Task Synth_RejectsMoreMinimumRowsThanInteractions_AndLeavesNoFolder()
    {
        using var dir = new TempDir();
        await Assert.ThrowsAsync<ArgumentException>(() =>
            SyntheticData.WriteAsync(new SyntheticSpec(100, 50, 10), dir.Sub("x"))
        );
        Assert.False(Directory.Exists(dir.Sub("x")));
    }

    [Fact]
    public async Task Bench_MeasuresEveryStageOfARealRun_AndTheScoringRatio_IntoCsvAndParquet()
    {
        using var dir = new TempDir();
        await SyntheticData.WriteAsync(
            new SyntheticSpec(Interactions: 20_000, Users: 800, Items: 300),
            dir.Sub("data")
        );
        File.WriteAllText(
            dir.Sub("bench.json"),
            """
            {
              "dataset": { "name": "bench-test", "input": "data", "output": "out", "work": "work" },
              "model": { "kind": "lightgcn", "dim": 16, "layers": 2 },
              "train": { "maxEpochs": 3, "batchSize": 4096, "learningRate": 0.01, "evalEvery": 3, "patience": 1, "device": "cpu" },
              "eval": { "maxUsers": 200 },
              "score": { "k": 10, "userChunk": 256 },
              "jobs": { "workers": 2, "scoreShards": 3 }
            }
            """
        );
        var config = ConfigLoader.Load(dir.Sub("bench.json"));
        var rows = await ScaleBench.RunAsync(
            config,
            "tiny",
            "batchrec bench (test)",
            dir.Sub("results"),
            scoringReps: 2,
            Log.Logger,
            CancellationToken.None
        );
        Assert.Equal(
            [
                "ingest",
                "graph",
                "train",
                "evaluate",
                "score",
                "publish",
                "total",
                "bare-product",
                "scoring-rows",
                "scoring",
                "bare-product-in-a-run",
                "scoring-in-a-run",
                "tiled-product",
                "scoring-vs-tiled",
                "tiled-product-in-a-run",
            ],
            rows.Select(r => r.Stage)
        );
        Assert.All(rows, r => Assert.True(r.Seconds > 0, $"{r.Stage} took {r.Seconds} s"));
        Assert.All(rows, r => Assert.Equal(20_000, r.Interactions));
        var ingest = rows.Single(r => r.Stage == "ingest");
        Assert.Equal(20_000 / ingest.Seconds, ingest.Rate, 6);
        var score = rows.Single(r => r.Stage == "score");
        Assert.Equal(800 / score.Seconds, score.Rate, 6);
        if (OperatingSystem.IsLinux())
            foreach (var stage in new[] { "ingest", "train", "evaluate", "score", "total" })
                Assert.InRange(rows.Single(r => r.Stage == stage).PeakRssMiB, 10, 64_000);
        var ratio = rows.Single(r => r.Stage == "scoring");
        Assert.Equal(ratio.Seconds / rows.Single(r => r.Stage == "bare-product").Seconds, ratio.Rate, 6);
        var inARun = rows.Single(r => r.Stage == "scoring-in-a-run");
        Assert.Equal(inARun.Seconds / rows.Single(r => r.Stage == "bare-product-in-a-run").Seconds, inARun.Rate, 6);
        var vsTiled = rows.Single(r => r.Stage == "scoring-vs-tiled");
        Assert.Equal(ratio.Seconds, vsTiled.Seconds);
        Assert.Equal(vsTiled.Seconds / rows.Single(r => r.Stage == "tiled-product").Seconds, vsTiled.Rate, 6);
        // the run really published, and the results are on disk
        Assert.True(
            File.Exists(Path.Combine(dir.Sub("out"), "recommendations", "_SUCCESS"))
                || Directory.Exists(Path.Combine(dir.Sub("out"), "recommendations"))
        );
        var csv = File.ReadAllLines(Path.Combine(dir.Sub("results"), "bench.csv"));
        Assert.StartsWith("date_utc,label,machine", csv[0]);
        Assert.Equal(rows.Count + 1, csv.Length);
        Assert.Single(Directory.GetFiles(dir.Sub("results"), "tiny-*.parquet"));
    }

    [Fact]
    public async Task BenchText_EncodesEveryItemText_ThenHitsTheCache_WithoutTouchingTheConfiguredCache()
    {
        using var dir = new TempDir();
        await TinyDataset.WriteAsync(dir.Sub("input")); // 24 items titled "Item 0" .. "Item 23"
        var config = TinyDataset.Config(dir, "input");
        var rows = await TextBench.RunAsync(
            config,
            "tiny-text",
            "batchrec bench-text (test)",
            dir.Sub("results"),
            Log.Logger,
            CancellationToken.None
        );
        Assert.Equal(["text-encode", "text-cache-hit"], rows.Select(r => r.Stage));
        var encode = rows[0];
        Assert.Equal(TinyDataset.Items, encode.Items);
        Assert.True(encode.Seconds > 0);
        Assert.Equal(TinyDataset.Items / encode.Seconds, encode.Rate, 6);
        Assert.Equal("sentences/s", encode.Unit);
        Assert.StartsWith($"{TinyDataset.Items} distinct item texts of {TinyDataset.Items}", encode.Notes);
        Assert.Contains($"0 encoded, {TinyDataset.Items} hits", rows[1].Notes);
        Assert.False(Directory.Exists(config.TextCacheDir), "the configured text cache is not written");
        Assert.Equal(3, File.ReadAllLines(Path.Combine(dir.Sub("results"), "bench.csv")).Length);
    }

    [Fact]
    public async Task BenchAnn_MeasuresHnswAgainstExactSearch_PerSize()
    {
        using var dir = new TempDir();
        var spec = new AnnBenchSpec([2000, 3000], 16, 200, 10, 7, ConfigModule.Default.Search);
        var rows = await AnnBench.RunAsync(
            spec,
            "tiny-ann",
            "batchrec bench-ann (test)",
            dir.Sub("results"),
            Log.Logger,
            CancellationToken.None
        );
        string[] stages = ["ann-build", "ann-search", "ann-recall", "exact-sample", "exact-all-extrapolated"];
        Assert.Equal([.. stages, .. stages], rows.Select(r => r.Stage));
        foreach (var n in new[] { 2000, 3000 })
        {
            var size = rows.Where(r => r.Items == n).ToDictionary(r => r.Stage);
            Assert.Equal(n / size["ann-build"].Seconds, size["ann-build"].Rate, 6);
            Assert.InRange(size["ann-recall"].Rate, 0.9, 1.0);
            Assert.Equal("recall@10", size["ann-recall"].Unit);
            Assert.Equal(size["exact-sample"].Seconds * n / 200, size["exact-all-extrapolated"].Seconds, 6);
            Assert.Contains("extrapolated", size["exact-all-extrapolated"].Notes);
        }
        Assert.Equal(11, File.ReadAllLines(Path.Combine(dir.Sub("results"), "bench.csv")).Length);
        Assert.Equal(2, Directory.GetFiles(dir.Sub("results"), "tiny-ann-*.parquet").Length);
    }

    [Fact]
    public void AnnBench_Vectors_AreTheSameForTheSameSeed_AndDifferForAnother()
    {
        var a = AnnBench.Vectors(500, 8, 1);
        Assert.Equal(500 * 8, a.Length);
        Assert.Equal(a, AnnBench.Vectors(500, 8, 1));
        Assert.NotEqual(a, AnnBench.Vectors(500, 8, 2));
    }

    [Fact]
    public void ProcessMemory_ReportsAPeakAtLeastTheCurrentRss_OnLinux()
    {
        if (!OperatingSystem.IsLinux())
            return;
        Assert.True(ProcessMemory.ResetPeak());
        var buffer = new byte[64 << 20];
        Array.Fill(buffer, (byte)1); // touch 64 MiB
        var peak = ProcessMemory.PeakBytes()!.Value;
        Assert.True(peak >= ProcessMemory.CurrentBytes()!.Value - (8 << 20));
        Assert.True(peak >= 64L << 20, $"peak {peak} after touching 64 MiB");
        GC.KeepAlive(buffer);
    }
}
