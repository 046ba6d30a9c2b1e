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

    /// <summary>Seconds this model took for this seed (training, tuning and the EASE part; 0 where it was reused).</summary>
    public double Seconds { get; set; }

    /// <summary>Peak resident memory of the process (MiB, VmHWM) while this model was fitted and evaluated for this seed; 0 where
    /// not measured (reused parts, pseudo-rows, or no /proc).</summary>
    public double PeakMiB { get; set; }

    /// <summary>For the auto row: the candidate chosen for this seed; for tuning rows the setting.</summary>
    public string Note { get; set; } = "";
}

/// <summary>
/// The `compare` command: one ingest (one snapshot, one split), then every requested model trained and evaluated
/// with every requested seed under the same protocol, and one comparison table written as Parquet, CSV and
/// Markdown (means ± standard deviations over seeds, and each model's per-seed difference from the strongest simple
/// baseline) into the output folder, each file replaced atomically after every model × seed.
/// </summary>
/// <remarks>
/// Models are names: a model kind, or KIND:LABEL, a variant with its own compare.KIND:LABEL overrides (ablations).
/// What does not depend on train.seed is computed once: popularity and ease models, and every EASE part a blend
/// joins (its λ and side-information search depend on the split and the features only). A factor model whose config
/// (blend aside) equals one already trained for a seed is reused, so a variant that only changes the blend costs
/// only its EASE part. <c>auto</c> is not trained again: for each seed it is the candidate of auto.candidates (which
/// must be among the models) with the best validation eval.stopMetric@stopK, as model.kind auto would choose.
/// </remarks>
public static class Comparison
{
    public const string TableName = Schema.Output.Comparison;

    /// <summary>The metrics the markdown table shows a column for.</summary>
    private static readonly string[] TableMetrics =
    [
        RankingMetric.Ndcg.Name,
        RankingMetric.Recall.Name,
        RankingMetric.Mrr.Name,
        RankingMetric.Hit.Name,
    ];

    public static async Task<IReadOnlyList<ComparisonRow>> RunAsync(
        LoadedConfig config,
        IReadOnlyList<string> models,
        IReadOnlyList<int> seeds,
        string outDir,
        ILogger log,
        CancellationToken ct
    )
    {
        if (models.Count == 0)
            throw new ArgumentException("--models must name at least one model");
        if (seeds.Count == 0)
            throw new ArgumentException("--seeds must name at least one seed");
        // validate every model name before spending time on ingest
        foreach (var m in models)
            if (m != "auto" && !ConfigModule.isModelName(m))
                throw new ArgumentException(
                    $"--models: '{m}' is not a model (known: {string.Join(", ", ConfigModule.modelKinds)}, auto, or KIND:LABEL with compare.KIND:LABEL overrides)"
                );
        if (
            models.Contains("auto")
            && config.Config.Auto.Candidates.FirstOrDefault(c => !models.Contains(c)) is { } missing
        )
            throw new ArgumentException(
                $"--models: auto chooses among auto.candidates, so '{missing}' must be compared too"
            );
        // each model: the shared protocol, its kind, then its own overrides (config key compare.<model>)
        var configs = models.Where(m => m != "auto").ToDictionary(m => m, m => ConfigModule.forModel(config.Config, m));
        var folder = RunFolder.Create(
            config,
            DateOnly.FromDateTime(DateTime.UtcNow).ToString("yyyy-MM-dd"),
            "compare",
            DateTimeOffset.UtcNow
        );
        await new IngestJob(log).RunAsync(folder.Path, ct);
        var snapshot = await SnapshotStore.ReadAsync(folder.SnapshotDir, ct);
        var graphs = Pipeline.splitGraphs(snapshot);
        var catalogue = await Catalogue.ReadAsync(folder.SnapshotDir, ct);
        Pipeline.setThreads(config.Config.Train.Threads);
        var device = Pipeline.chooseDevice(config.Config.Train.Device);
        foreach (var cfg in configs.Values.Where(ConfigModule.usesEase))
            BatchRec.Core.Train.EaseFit.checkEaseBudget(cfg, graphs.Train.Cols); // refused before anything trains
        var rows = new List<ComparisonRow>();
        var factorModels = new Dictionary<string, TrainedModel>(StringComparer.Ordinal); // (config without blend, seed) → model
        var easeParts = new Dictionary<
            string,
            (float[] Weights, Microsoft.FSharp.Collections.FSharpList<TuningPoint> Points, double Seconds)
        >(StringComparer.Ordinal);
        var validScores = new Dictionary<(string Model, int Seed), double[]>(); // auto's candidates: per-user validation scores
        foreach (var model in models.Where(m => m != "auto"))
        {
            var (features, stats) = await FeatureBuilder.BuildAsync(
                configs[model],
                config.TextCacheDir,
                catalogue,
                snapshot.ItemIds,
                graphs.HeldOut,
                log,
                ct
            );
            TrainedModel? seedFree = null;
            foreach (var seed in seeds)
            {
                ct.ThrowIfCancellationRequested();
                var cfg = ConfigModule.withOverrides(configs[model], "{\"train\":{\"seed\":" + seed + "}}");
                log.Information(
                    "Comparison: training {Model} with seed {Seed} ({Attributes} attributes, {Text} items with text)",
                    model,
                    seed,
                    stats.Attributes,
                    stats.ItemsWithText
                );
                var measuredPeak = ProcessMemory.ResetPeak(); // each model × seed its own peak window
                var watch = System.Diagnostics.Stopwatch.StartNew();
                void Tuned(TuningPoint p) =>
                    log.Information(
                        "{Model} seed {Seed} {Setting}: valid {Valid:F4} ({Seconds:F1} s)",
                        model,
                        seed,
                        p.Setting,
                        p.Valid,
                        p.Seconds
                    );
                TrainedModel trained;
                var reused = false; // nothing fitted for this row: its time and memory are the first seed's
                if (ModelKindModule.isSeedFree(cfg.Model.Kind))
                {
                    reused = seedFree is not null;
                    trained = seedFree ??= Pipeline.trainTuned(cfg, device, graphs, features, _ => { }, Tuned, ct); // seed-independent
                }
                else
                {
                    var gnnCfg = ConfigModule.withOverrides(cfg, """{"blend":{"itemItem":"none"}}""");
                    var key = FactorKey(gnnCfg);
                    if (!factorModels.TryGetValue(key, out var gnn))
                    {
                        gnn = Pipeline.trainTuned(
                            gnnCfg,
                            device,
                            graphs,
                            features,
                            r =>
                            {
                                if (r.Valid is { } v)
                                    log.Information(
                                        "{Model} seed {Seed} epoch {Epoch} loss {Loss:F4}; valid {Valid:F4}{Best}",
                                        model,
                                        seed,
                                        r.Epoch,
                                        r.Loss,
                                        v.Value,
                                        r.Improved ? " (best)" : ""
                                    );
                            },
                            Tuned,
                            ct
                        );
                        factorModels[key] = gnn;
                    }
                    else
                    {
                        log.Information(
                            "Comparison: {Model} seed {Seed} reuses the factor model already trained with the same config",
                            model,
                            seed
                        );
                        reused = !cfg.Blend.ItemItem.IsEase;
                    }
                    trained = gnn;
                    if (cfg.Blend.ItemItem.IsEase)
                    {
                        var easeKey = EaseKey(cfg);
                        if (!easeParts.TryGetValue(easeKey, out var part))
                        {
                            var easeWatch = System.Diagnostics.Stopwatch.StartNew();
                            var (w, points) = Pipeline.easeWeights(cfg, device, graphs, features, Tuned, ct);
                            part = (w, points, easeWatch.Elapsed.TotalSeconds);
                            easeParts[easeKey] = part;
                        }
                        trained = Pipeline.blendWith(cfg, device, graphs, gnn, part.Weights, part.Points, Tuned, ct);
                    }
                }
                var seconds = reused ? 0.0 : watch.Elapsed.TotalSeconds;
                var evaluated = Pipeline.evaluate(cfg, device, graphs, trained);
                if (models.Contains("auto") && config.Config.Auto.Candidates.Contains(model))
                    validScores[(model, seed)] = Pipeline.validScores(cfg, device, graphs, trained);
                var peakMiB =
                    !reused && measuredPeak && ProcessMemory.PeakBytes() is { } peak ? peak / (1024.0 * 1024.0) : 0.0;
                foreach (var m in evaluated)
                    rows.Add(
                        new ComparisonRow
                        {
                            Model = model,
                            Seed = seed,
                            Split = m.Split,
                            Metric = m.Metric,
                            K = m.K,
                            Value = m.Value,
                            Epochs = trained.EpochsRun,
                            BestEpoch = trained.BestEpoch,
                            SecondsPerEpoch = trained.SecondsPerEpoch,
                            Seconds = seconds,
                            PeakMiB = peakMiB,
                        }
                    );
                foreach (var p in trained.Tuning)
                    rows.Add(
                        new ComparisonRow
                        {
                            Model = model,
                            Seed = seed,
                            Split = "tuning",
                            Metric = cfg.Eval.StopMetric.Name,
                            K = cfg.Eval.StopK,
                            Value = p.Valid,
                            Note = p.Setting,
                        }
                    );
                await WriteAsync(outDir, rows, ct); // after every model × seed: a long comparison stopped half-way keeps what it measured
                // the headline figure is test NDCG@10, the figure the champion rule and the README's tables use
                var ndcg = rows.LastOrDefault(r =>
                    r.Model == model
                    && r.Seed == seed
                    && r.Split == "test"
                    && r.Metric == Champion.Metric
                    && r.K == Champion.K
                );
                log.Information(
                    "Comparison: {Model} seed {Seed}: test ndcg@10 {Ndcg:F4} after {Epochs} epochs (best {Best}, {PerEpoch:F2} s/epoch, {Seconds:F0} s)",
                    model,
                    seed,
                    ndcg?.Value ?? double.NaN,
                    trained.EpochsRun,
                    trained.BestEpoch,
                    trained.SecondsPerEpoch,
                    seconds
                );
            }
        }
        if (models.Contains("auto"))
            rows.AddRange(AutoRows(config.Config, rows, validScores, seeds).ToList());
        if (graphs.HeldOut.Any(h => h))
        {
            var (features, _) = await FeatureBuilder.BuildAsync(
                ConfigModule.forModel(config.Config, "gat"),
                config.TextCacheDir,
                catalogue,
                snapshot.ItemIds,
                graphs.HeldOut,
                log,
                ct
            );
            foreach (
                var (name, m) in ColdBaselines.evaluate(config.Config, graphs, features).Select(t => t.ToValueTuple())
            )
                rows.Add(
                    new ComparisonRow
                    {
                        Model = name,
                        Seed = 0,
                        Split = m.Split,
                        Metric = m.Metric,
                        K = m.K,
                        Value = m.Value,
                    }
                );
        }
        await WriteAsync(outDir, rows, ct);
        return rows;
    }

    /// <summary>What a factor model depends on: its config without the parts that only its blend reads (ease, blend) or that
    /// choose among models (auto, compare).</summary>
    private static string FactorKey(Config cfg)
    {
        var node = (System.Text.Json.Nodes.JsonObject)
            System.Text.Json.JsonSerializer.SerializeToNode(cfg, Json.Options)!;
        foreach (var part in new[] { "ease", "blend", "auto", "compare" })
            node.Remove(part);
        return node.ToJsonString();
    }

    /// <summary>What an EASE part depends on: its settings, the text and attributes it may read, the split's protocol.</summary>
    private static string EaseKey(Config cfg) =>
        System.Text.Json.JsonSerializer.Serialize(
            new
            {
                cfg.Ease,
                cfg.Text.ItemText,
                cfg.Text.Encoder,
                UsesText = ConfigModule.usesText(cfg),
                StopMetric = cfg.Eval.StopMetric.Name,
                cfg.Eval.StopK,
                cfg.Eval.MaxUsers,
            },
            Json.Options
        );

    /// <summary>
    /// model.kind auto in the comparison: for each seed, the rows of the candidate (auto.candidates) model.kind auto
    /// would choose from the candidates' per-user validation eval.stopMetric@stopK (CandidateChoice.chooseCandidate with
    /// auto.standardErrors), as model "auto" with the candidate in Note.
    /// </summary>
    public static IEnumerable<ComparisonRow> AutoRows(
        Config config,
        IReadOnlyList<ComparisonRow> rows,
        IReadOnlyDictionary<(string Model, int Seed), double[]> validScores,
        IReadOnlyList<int> seeds
    )
    {
        foreach (var seed in seeds)
        {
            var scores = config.Auto.Candidates.Select(c => Tuple.Create(c, validScores[(c, seed)]));
            var chosen = CandidateChoice.chooseCandidate(
                config.Auto.StandardErrors,
                Microsoft.FSharp.Collections.ListModule.OfSeq(scores)
            );
            foreach (var r in rows.Where(r => r.Model == chosen && r.Seed == seed && r.Split != "tuning"))
                yield return new ComparisonRow
                {
                    Model = "auto",
                    Seed = seed,
                    Split = r.Split,
                    Metric = r.Metric,
                    K = r.K,
                    Value = r.Value,
                    Epochs = r.Epochs,
                    BestEpoch = r.BestEpoch,
                    SecondsPerEpoch = r.SecondsPerEpoch,
                    Note = chosen,
                };
        }
    }

    /// <summary>comparison.parquet (every row), comparison.csv (same), comparison.md (the tables of <see cref="Markdown"/>).</summary>
    public static async Task WriteAsync(string outDir, IReadOnlyList<ComparisonRow> rows, CancellationToken ct)
    {
        Directory.CreateDirectory(outDir);
        var parquet = Path.Combine(outDir, TableName + ".parquet");
        var tmp = parquet + $".tmp-{Environment.ProcessId}";
        await ParquetSerializer.SerializeAsync(rows, tmp, cancellationToken: ct);
        File.Move(tmp, parquet, overwrite: true);
        var csv = new StringBuilder(
            "model,seed,split,metric,k,value,epochs,best_epoch,seconds_per_epoch,seconds,peak_mib,note\n"
        );
        foreach (var r in rows)
            csv.Append(
                CultureInfo.InvariantCulture,
                $"{r.Model},{r.Seed},{r.Split},{r.Metric},{r.K},{r.Value:R},{r.Epochs},{r.BestEpoch},{r.SecondsPerEpoch:F4},{r.Seconds:F1},{r.PeakMiB:F0},{r.Note}\n"
            );
        Json.WriteTextAtomic(Path.Combine(outDir, TableName + ".csv"), csv.ToString());
        Json.WriteTextAtomic(Path.Combine(outDir, TableName + ".md"), Markdown(rows));
    }

    /// <summary>The baseline the comparison's paired differences are taken against: ease when compared, else lightgcn, else none.</summary>
    public static string? Baseline(IReadOnlyList<ComparisonRow> rows) =>
        rows.Any(r => r.Model == "ease") ? "ease"
        : rows.Any(r => r.Model == "lightgcn") ? "lightgcn"
        : null;

    /// <summary>
    /// Two Markdown tables. The first: per model the means over seeds, one column per test (and cold) metric@K, the
    /// epochs and seconds per epoch, the mean seconds of the rows that fitted something (a blend that reuses its factor
    /// model: its EASE part and blend search only) and the largest peak RSS of the process while one of them ran. The second, test NDCG@10 per model: mean ± sample standard deviation over
    /// seeds, each seed's value, and the paired differences from the baseline (<see cref="Baseline"/>) seed by seed,
    /// with their mean, relative to the baseline's mean; for auto, the candidate chosen per seed.
    /// </summary>
    public static string Markdown(IReadOnlyList<ComparisonRow> rows)
    {
        var inv = CultureInfo.InvariantCulture;
        var figures = rows.Where(r => r.Split != "tuning").ToList();
        var columns = figures
            .Select(r => (r.Split, r.Metric, r.K))
            .Distinct()
            .Where(c => c.Split != "valid" && TableMetrics.Contains(c.Metric))
            .OrderBy(c => c.Split == "test" ? 0 : 1)
            .ThenBy(c => c.K)
            .ThenBy(c => c.Metric, StringComparer.Ordinal)
            .ToList();
        var sb = new StringBuilder();
        sb.Append(
            "| model | seeds | "
                + string.Join(" | ", columns.Select(c => $"{c.Split} {c.Metric}@{c.K}"))
                + " | epochs (best) | s/epoch | s per fit | peak MiB |\n"
        );
        sb.Append("|---|---|" + string.Concat(columns.Select(_ => "---|")) + "---|---|---|---|\n");
        foreach (var g in figures.GroupBy(r => r.Model))
        {
            var seeds = g.Select(r => r.Seed).Distinct().Count();
            var cells = columns.Select(c =>
            {
                var v = g.Where(r => r.Split == c.Split && r.Metric == c.Metric && r.K == c.K)
                    .Select(r => r.Value)
                    .ToList();
                return v.Count == 0 ? "" : v.Average().ToString("F4", inv);
            });
            var first = g.GroupBy(r => r.Seed).Select(s => s.First()).ToList();
            var fits = first.Where(r => r.Seconds > 0).ToList(); // reused parts and pseudo-rows were not fitted again
            var peaks = first.Where(r => r.PeakMiB > 0).ToList();
            var fitCell = fits.Count == 0 ? "" : fits.Average(r => r.Seconds).ToString("F1", inv);
            var peakCell = peaks.Count == 0 ? "" : peaks.Max(r => r.PeakMiB).ToString("F0", inv);
            sb.Append(
                inv,
                $"| {g.Key} | {seeds} | {string.Join(" | ", cells)} | {first.Average(r => r.Epochs):F0} ({first.Average(r => r.BestEpoch):F0}) | {first.Average(r => r.SecondsPerEpoch):F2} | {fitCell} | {peakCell} |\n"
            );
        }
        var ndcg = figures.Where(r => r.Split == "test" && r.Metric == Champion.Metric && r.K == Champion.K).ToList();
        if (ndcg.Count == 0)
            return sb.ToString();
        var baseline = Baseline(figures);
        var baseBySeed = ndcg.Where(r => r.Model == baseline).ToDictionary(r => r.Seed, r => r.Value);
        sb.Append(
            "\n| model | test ndcg@10 mean ± std | per seed | "
                + (baseline is null ? "" : $"paired Δ vs {baseline} per seed | mean Δ (relative) | ")
                + "note |\n"
        );
        sb.Append("|---|---|---|" + (baseline is null ? "" : "---|---|") + "---|\n");
        foreach (var g in ndcg.GroupBy(r => r.Model))
        {
            var v = g.OrderBy(r => r.Seed).ToList();
            var mean = v.Average(r => r.Value);
            var std = v.Count > 1 ? Math.Sqrt(v.Sum(r => (r.Value - mean) * (r.Value - mean)) / (v.Count - 1)) : 0.0;
            sb.Append(
                inv,
                $"| {g.Key} | {mean:F4} ± {std:F4} | {string.Join(" / ", v.Select(r => r.Value.ToString("F4", inv)))} | "
            );
            if (baseline is not null)
            {
                var d = v.Where(r => baseBySeed.ContainsKey(r.Seed)).Select(r => r.Value - baseBySeed[r.Seed]).ToList();
                var baseMean = baseBySeed.Values.Average();
                sb.Append(
                    d.Count == 0
                        ? " | | "
                        : string.Create(
                            inv,
                            $"{string.Join(" / ", d.Select(x => x.ToString("+0.0000;-0.0000;0.0000", inv)))} | {d.Average():+0.0000;-0.0000;0.0000} ({d.Average() / baseMean:+0.0%;-0.0%;0.0%}) | "
                        )
                );
            }
            sb.Append(string.Join(" / ", v.Select(r => r.Note).Where(n => n != "").DefaultIfEmpty(""))).Append(" |\n");
        }
        return sb.ToString();
    }
}
