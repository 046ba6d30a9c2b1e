using System.Globalization;
using System.Text;
using BatchRec.Core;
using BatchRec.Core.Train;
using BatchRec.Jobs.Configuration;
using BatchRec.Jobs.Features;
using BatchRec.Jobs.Runs;
using BatchRec.Jobs.Stages;
using BatchRec.Jobs.Store;
using Parquet.Serialization;
using Serilog;

namespace BatchRec.Jobs.Compare;

/// <summary>One figure of the comparison table: model, training seed, split, metric@K, plus the training summary.</summary>
public sealed class ComparisonRow
{
    public string Model { get; set; } = "";
    public int Seed { get; set; }
    public string Split { get; set; } = "";
    public string Metric { get; set; } = "";
    public int K { get; set; }
    public double Value { get; set; }
    public int Epochs { get; set; }
    public int BestEpoch { get; set; }
    public double SecondsPerEpoch { get; set; }
}

/// <summary>
/// The `compare` command: one ingest (one snapshot, one split), then every requested model trained and evaluated
/// with every requested seed under the same protocol, and one comparison table written as Parquet, CSV and
/// Markdown (means over seeds) into the output folder, each file replaced atomically after every model × seed.
/// </summary>
public static class Comparison
{
    public const string TableName = Schema.Output.Comparison;

    public static async Task<IReadOnlyList<ComparisonRow>> RunAsync(LoadedConfig config, IReadOnlyList<string> models, IReadOnlyList<int> seeds, string outDir,
        ILogger log, CancellationToken ct)
    {
        if (models.Count == 0) throw new ArgumentException("--models must name at least one model");
        if (seeds.Count == 0) throw new ArgumentException("--seeds must name at least one seed");
        // validate every model name before spending time on ingest
        // each model: the shared protocol, its kind, then its own overrides (config key compare.<model>)
        var configs = models.ToDictionary(m => m, m =>
        {
            var c = Override(config.Config, "{\"model\":{\"kind\":" + System.Text.Json.JsonSerializer.Serialize(m) + "}}");
            return config.Config.Compare.TryFind(m) is { } own ? Override(c, own.Value) : c;
        });
        var folder = RunFolder.Create(config, DateOnly.FromDateTime(DateTime.UtcNow).ToString("yyyy-MM-dd"), "compare", DateTimeOffset.UtcNow);
        await new IngestJob(log).RunAsync(folder.Path, ct);
        var snapshot = await SnapshotStore.ReadAsync(folder.SnapshotDir, ct);
        var graphs = Pipeline.splitGraphs(snapshot);
        var catalogue = await Catalogue.ReadAsync(folder.SnapshotDir, ct);
        Pipeline.setThreads(config.Config.Train.Threads);
        var device = Pipeline.chooseDevice(config.Config.Train.Device);
        var rows = new List<ComparisonRow>();
        foreach (var model in models)
        {
            var (features, stats) = await FeatureBuilder.BuildAsync(configs[model], config.TextCacheDir, catalogue, snapshot.ItemIds, graphs.HeldOut, log, ct);
            foreach (var seed in seeds)
            {
                ct.ThrowIfCancellationRequested();
                var cfg = Override(configs[model], "{\"train\":{\"seed\":" + seed + "}}");
                log.Information("Comparison: training {Model} with seed {Seed} ({Attributes} attributes, {Text} items with text)", model, seed, stats.Attributes, stats.ItemsWithText);
                var trained = Pipeline.trainTuned(cfg, device, graphs, features, r =>
                {
                    if (r.Valid is { } v) log.Information("{Model} seed {Seed} epoch {Epoch} loss {Loss:F4}; valid {Valid:F4}{Best}", model, seed, r.Epoch, r.Loss, v.Value, r.Improved ? " (best)" : "");
                }, p => log.Information("{Model} seed {Seed} {Setting}: valid {Valid:F4} ({Seconds:F1} s)", model, seed, p.Setting, p.Valid, p.Seconds), ct);
                foreach (var m in Pipeline.evaluate(cfg, device, graphs, trained))
                    rows.Add(new ComparisonRow
                    {
                        Model = model, Seed = seed, Split = m.Split, Metric = m.Metric, K = m.K, Value = m.Value,
                        Epochs = trained.EpochsRun, BestEpoch = trained.BestEpoch, SecondsPerEpoch = trained.SecondsPerEpoch,
                    });
                await WriteAsync(outDir, rows, ct); // after every model × seed: a long comparison stopped half-way keeps what it measured
                var ndcg = rows.LastOrDefault(r => r.Model == model && r.Seed == seed && r.Split == "test" && r.Metric == "ndcg" && r.K == 10);
                log.Information("Comparison: {Model} seed {Seed}: test ndcg@10 {Ndcg:F4} after {Epochs} epochs (best {Best}, {PerEpoch:F2} s/epoch)",
                    model, seed, ndcg?.Value ?? double.NaN, trained.EpochsRun, trained.BestEpoch, trained.SecondsPerEpoch);
            }
        }
        if (graphs.HeldOut.Any(h => h))
        {
            var (features, _) = await FeatureBuilder.BuildAsync(Override(config.Config, """{"model":{"kind":"gat"}}"""), config.TextCacheDir, catalogue, snapshot.ItemIds, graphs.HeldOut, log, ct);
            foreach (var (name, m) in Pipeline.coldBaselines(config.Config, graphs, features).Select(t => t.ToValueTuple()))
                rows.Add(new ComparisonRow { Model = name, Seed = 0, Split = m.Split, Metric = m.Metric, K = m.K, Value = m.Value });
        }
        await WriteAsync(outDir, rows, ct);
        return rows;
    }

    private static Config Override(Config baseConfig, string json)
    {
        var r = ConfigModule.parseOver(baseConfig, json);
        if (r.IsError) throw new ConfigException(string.Join("; ", r.ErrorValue.Select(e => e.ToString())));
        return r.ResultValue;
    }

    /// <summary>comparison.parquet (every row), comparison.csv (same), comparison.md (means over seeds).</summary>
    public static async Task WriteAsync(string outDir, IReadOnlyList<ComparisonRow> rows, CancellationToken ct)
    {
        Directory.CreateDirectory(outDir);
        var parquet = Path.Combine(outDir, TableName + ".parquet");
        var tmp = parquet + $".tmp-{Environment.ProcessId}";
        await ParquetSerializer.SerializeAsync(rows, tmp, cancellationToken: ct);
        File.Move(tmp, parquet, overwrite: true);
        var csv = new StringBuilder("model,seed,split,metric,k,value,epochs,best_epoch,seconds_per_epoch\n");
        foreach (var r in rows)
            csv.Append(CultureInfo.InvariantCulture, $"{r.Model},{r.Seed},{r.Split},{r.Metric},{r.K},{r.Value:R},{r.Epochs},{r.BestEpoch},{r.SecondsPerEpoch:F4}\n");
        Json.WriteTextAtomic(Path.Combine(outDir, TableName + ".csv"), csv.ToString());
        Json.WriteTextAtomic(Path.Combine(outDir, TableName + ".md"), Markdown(rows));
    }

    /// <summary>The means over seeds as a Markdown table: one row per model, one column per split/metric@K.</summary>
    public static string Markdown(IReadOnlyList<ComparisonRow> rows)
    {
        var columns = rows.Select(r => (r.Split, r.Metric, r.K)).Distinct()
            .Where(c => c.Split != "valid" && c.Metric is "ndcg" or "recall" or "mrr" or "hit")
            .OrderBy(c => c.Split == "test" ? 0 : 1).ThenBy(c => c.K).ThenBy(c => c.Metric, StringComparer.Ordinal).ToList();
        var sb = new StringBuilder();
        sb.Append("| model | seeds | " + string.Join(" | ", columns.Select(c => $"{c.Split} {c.Metric}@{c.K}")) + " | epochs (best) | s/epoch |\n");
        sb.Append("|---|---|" + string.Concat(columns.Select(_ => "---|")) + "---|---|\n");
        foreach (var g in rows.GroupBy(r => r.Model))
        {
            var seeds = g.Select(r => r.Seed).Distinct().Count();
            var cells = columns.Select(c =>
            {
                var v = g.Where(r => r.Split == c.Split && r.Metric == c.Metric && r.K == c.K).Select(r => r.Value).ToList();
                return v.Count == 0 ? "" : v.Average().ToString("F4", CultureInfo.InvariantCulture);
            });
            var first = g.GroupBy(r => r.Seed).Select(s => s.First()).ToList();
            sb.Append(CultureInfo.InvariantCulture, $"| {g.Key} | {seeds} | {string.Join(" | ", cells)} | {first.Average(r => r.Epochs):F0} ({first.Average(r => r.BestEpoch):F0}) | {first.Average(r => r.SecondsPerEpoch):F2} |\n");
        }
        return sb.ToString();
    }
}
