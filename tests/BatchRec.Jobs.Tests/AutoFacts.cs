using BatchRec.Core;
using BatchRec.Core.Train;
using BatchRec.Jobs.Configuration;
using BatchRec.Jobs.Io;
using BatchRec.Jobs.Orchestration;
using BatchRec.Jobs.Runs;
using BatchRec.Jobs.Stages;
using BatchRec.Jobs.Store;
using Microsoft.FSharp.Collections;
using Xunit;

namespace BatchRec.Jobs.Tests;

/// <summary>EASE and model.kind auto through the whole chain on the tiny fixture, checked through the published tables.</summary>
[Collection("hangfire")]
public class AutoFacts
{
    private const string Date = "2026-11-28";

    [Fact]
    public async Task Run_PublishesEaseWithItsLambdaRowsAndExactContributionReasons_WhenModelKindIsEase()
    {
        using var dir = new TempDir();
        // 40 users, each with a window of 8 consecutive items of 30 (wrapping): neighbouring items co-occur, so EASE's
        // B is positive between them and a user's recommendations (the items just outside its window) have reasons
        var (iu, ii) = (new List<long>(), new List<long>());
        for (var u = 0; u < 40; u++)
        for (var k = 0; k < 8; k++)
        {
            iu.Add(1000 + u);
            ii.Add(50 + (u * 3 / 4 + k) % 30);
        }
        Directory.CreateDirectory(dir.Sub("input/interactions"));
        await ColumnarFile.WriteAsync(
            dir.Sub("input/interactions/part-0.parquet"),
            [
                new("user_id", iu.ToArray()),
                new("item_id", ii.ToArray()),
                new("timestamp", Enumerable.Range(0, iu.Count).Select(e => 1_600_000_000L + e).ToArray()),
            ]
        );
        var baseConfig = TinyDataset.Config(dir, "input", """, "ease": { "lambdas": [1, 10, 100] } """);
        var config = ConfigLoader.FromJson(
            baseConfig.Json.Replace("\"kind\": \"lightgcn\"", "\"kind\": \"ease\""),
            baseConfig.FilePath
        );

        var outcome = await RunOnce.ExecuteAsync(config, Date, CancellationToken.None);

        Assert.True(outcome.Succeeded, outcome.Error);
        var recs = await RecRow.ReadAsync(Path.Combine(config.OutputDir, "recommendations", "dt=" + Date));
        Assert.All(recs, r => Assert.Equal(("ease", "item-contribution"), (r.Model, r.ReasonKind)));
        // the reason is the history item whose row of B adds the most to the recommended item's score
        var folder = new RunFolder(Directory.GetDirectories(Path.Combine(config.WorkDir, "runs")).Single());
        var model = ModelStore.Read(folder.ModelDir);
        Assert.Equal(0, model.Dim);
        Assert.Equal((long)model.NumItems * model.NumItems, model.ItemWeights.LongLength);
        var snapshot = await SnapshotStore.ReadAsync(folder.SnapshotDir, CancellationToken.None);
        var explained = 0;
        foreach (var r in recs)
        {
            var target = snapshot.ItemIds.IndexOrMinusOne(r.ItemId.ToString());
            float Contribution(long h) =>
                model.ItemWeights[snapshot.ItemIds.IndexOrMinusOne(h.ToString()) * model.NumItems + target];
            var history = Enumerable
                .Range(0, iu.Count)
                .Where(e => iu[e] == r.UserId)
                .Select(e => ii[e])
                .Order()
                .ToArray();
            var best = history.MaxBy(Contribution); // the first of equals, as the history is ascending
            // null exactly when no history item raises the score
            if (Contribution(best) > 0)
            {
                Assert.Equal(best, r.ReasonItemId);
                explained++;
            }
            else
                Assert.Null(r.ReasonItemId);
        }
        Assert.True(explained >= recs.Count / 2, $"{explained} of {recs.Count} recommendations explained");
        // one tuning row per λ, then the published figures
        var metrics = await OutputTables.ReadMetricsAsync(
            Directory.GetFiles(Path.Combine(config.OutputDir, "metrics", "dt=" + Date), "*.parquet").Single()
        );
        var tuning = metrics.Where(m => m.Role == MetricRow.Tuning).ToList();
        Assert.Equal(["lambda=1", "lambda=10", "lambda=100"], tuning.Select(m => m.Setting));
        Assert.All(tuning, m => Assert.Equal(("ease", "valid", "mrr", 10), (m.Model, m.Split, m.Metric, m.K)));
        Assert.Equal(model.Tuning.Select(p => p.Valid), tuning.Select(m => m.Value));
        Assert.Equal(2 * 5 * 2, metrics.Count(m => m.Role == MetricRow.Published));
        // the window structure is learnable: EASE finds the held-out neighbours
        Assert.True(
            metrics
                .Single(m => m.Role == MetricRow.Published && m.Split == "test" && m.Metric == "hit" && m.K == 10)
                .Value > 0.8
        );
    }

    [Fact]
    public async Task Run_TrainsEveryCandidateAndPublishesTheBestOnValidation_WhenModelKindIsAuto()
    {
        using var dir = new TempDir();
        await TinyDataset.WriteAsync(dir.Sub("input"));
        var baseConfig = TinyDataset.Config(
            dir,
            "input",
            """, "ease": { "lambdas": [1, 10] }, "auto": { "candidates": ["popularity", "ease", "ease:strong", "lightgcn"] }, "compare": { "ease:strong": { "ease": { "lambdas": [100] } } } """
        );
        var config = ConfigLoader.FromJson(
            baseConfig.Json.Replace("\"kind\": \"lightgcn\"", "\"kind\": \"auto\""),
            baseConfig.FilePath
        );

        var outcome = await RunOnce.ExecuteAsync(config, Date, CancellationToken.None);

        Assert.True(outcome.Succeeded, outcome.Error);
        var folder = new RunFolder(Directory.GetDirectories(Path.Combine(config.WorkDir, "runs")).Single());
        var auto = AutoChoice.Read(folder);
        Assert.NotNull(auto);
        Assert.Equal(["popularity", "ease", "ease:strong", "lightgcn"], auto.Candidates.Select(c => c.Kind));
        Assert.Equal(1.0, auto.StandardErrors);
        Assert.All(auto.Candidates, c =>
            Assert.Equal(c.Valid, c.Metrics.Single(m => m.Split == "valid" && m.Metric == "mrr" && m.K == 10).Value)
        );
        // the choice is made on validation alone, by the one-standard-error rule: the best candidate by validation
        // leads the chosen one by at most one standard error of the per-user differences, and every earlier one by more
        var best = auto.Candidates.First(c =>
            c.Kind
            == CandidateChoice.bestCandidate(
                ListModule.OfSeq(auto.Candidates.Select(x => Tuple.Create(x.Kind, x.Valid)))
            )
        );
        Assert.Equal((0.0, 0.0), (best.BestMinusThis, best.StandardError));
        // the per-user scores are the validation figures' users: their mean difference is the difference of the figures
        Assert.All(auto.Candidates, c => Assert.Equal(best.Valid - c.Valid, c.BestMinusThis, 9));
        var at = auto.Candidates.ToList().FindIndex(c => c.Kind == auto.Chosen);
        Assert.True(at >= 0 && at <= auto.Candidates.ToList().IndexOf(best));
        Assert.True(auto.Candidates[at].BestMinusThis <= auto.Candidates[at].StandardError);
        Assert.All(auto.Candidates.Take(at), c =>
            Assert.True(c.BestMinusThis > c.StandardError, $"{c.Kind}: {c.BestMinusThis} ≤ {c.StandardError}")
        );
        Assert.NotEqual("popularity", auto.Chosen); // the groups are learnable: a trained model beats popularity here
        Assert.Equal(ConfigModule.kindOf(auto.Chosen).Name, ModelStore.ReadInfo(folder.ModelDir).Kind);

        var recs = await RecRow.ReadAsync(Path.Combine(config.OutputDir, "recommendations", "dt=" + Date));
        Assert.All(recs, r => Assert.Equal(auto.Chosen, r.Model));
        var metrics = await OutputTables.ReadMetricsAsync(
            Directory.GetFiles(Path.Combine(config.OutputDir, "metrics", "dt=" + Date), "*.parquet").Single()
        );
        Assert.All(metrics.Where(m => m.Role == MetricRow.Published), m => Assert.Equal(auto.Chosen, m.Model));
        // every other candidate's figures are in the table as candidate rows, equal to what auto.json recorded
        foreach (var c in auto.Candidates.Where(c => c.Kind != auto.Chosen))
        {
            var rows = metrics.Where(m => m.Role == MetricRow.Candidate && m.Model == c.Kind).ToList();
            Assert.Equal(c.Metrics.Count, rows.Count);
            Assert.Equal(c.Metrics.Select(m => m.Value), rows.Select(m => m.Value));
        }
        Assert.Equal(
            ["lambda=1", "lambda=10"],
            metrics.Where(m => m.Role == MetricRow.Tuning && m.Model == "ease").Select(m => m.Setting)
        );
        // the choice is in the manifest
        var manifest = Json.Read<Manifest>(
            Path.Combine(config.OutputDir, "manifests", "dt=" + Date, outcome.RunId + ".json")
        );
        Assert.Equal(auto.Chosen, manifest.Auto?.Chosen);
        Assert.Equal(4, manifest.Auto?.Candidates.Count);
    }

    [Fact]
    public void ModelStore_RoundTripsItemWeightsAndTuning_WhenTheModelHasAnItemItemPart()
    {
        using var dir = new TempDir();
        var weights = Enumerable.Range(0, 9).Select(x => x * 0.5f - 1f).ToArray();
        var model = new TrainedModel(
            "ease",
            2,
            3,
            2,
            [1f, 2f, 3f, 4f],
            [5f, 6f, 7f, 8f, 9f, 10f],
            weights,
            2,
            3,
            0.25,
            false,
            1.5,
            ListModule.OfSeq([
                new TuningPoint("lambda=1", "valid", 0.2, 0.1),
                new TuningPoint("lambda=10", "valid", 0.25, 0.1),
            ])
        );
        ModelStore.Write(dir.Path, model);
        var back = ModelStore.Read(dir.Path);
        Assert.Equal(model.ItemWeights, back.ItemWeights);
        Assert.Equal(model.UserFactors, back.UserFactors);
        Assert.Equal(model.ItemFactors, back.ItemFactors);
        Assert.Equal((3, 2), (back.NumItems, back.NumUsers));
        Assert.Equal(model.Tuning.Select(p => (p.Setting, p.Valid)), back.Tuning.Select(p => (p.Setting, p.Valid)));
        // a factor model written over it leaves no stale weights behind
        ModelStore.Write(
            dir.Path,
            new TrainedModel(
                "lightgcn",
                2,
                3,
                2,
                model.UserFactors,
                model.ItemFactors,
                [],
                2,
                3,
                0.25,
                false,
                1.5,
                model.Tuning
            )
        );
        Assert.False(File.Exists(Path.Combine(dir.Path, "weights.bin")));
        Assert.Empty(ModelStore.Read(dir.Path).ItemWeights);
    }
}

/// <summary>A recommendations row as a consumer reads it, nullable reason included (Parquet.Net's serializer).</summary>
public sealed class RecRow
{
    [System.Text.Json.Serialization.JsonPropertyName("user_id")]
    public long UserId { get; set; }

    [System.Text.Json.Serialization.JsonPropertyName("item_id")]
    public long ItemId { get; set; }

    [System.Text.Json.Serialization.JsonPropertyName("model"), Parquet.Serialization.Attributes.ParquetRequired]
    public string Model { get; set; } = "";

    [System.Text.Json.Serialization.JsonPropertyName("reason_item_id")]
    public long? ReasonItemId { get; set; }

    [System.Text.Json.Serialization.JsonPropertyName("reason_kind"), Parquet.Serialization.Attributes.ParquetRequired]
    public string ReasonKind { get; set; } = "";

    public static async Task<List<RecRow>> ReadAsync(string dir)
    {
        var rows = new List<RecRow>();
        foreach (var part in Directory.GetFiles(dir, "*.parquet").Order(StringComparer.Ordinal))
            rows.AddRange((await Parquet.Serialization.ParquetSerializer.DeserializeAsync<RecRow>(part)).Data);
        return rows;
    }
}
