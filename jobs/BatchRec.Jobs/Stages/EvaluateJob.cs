using BatchRec.Core;
using BatchRec.Jobs.Io;
using Hangfire;
using Serilog;

namespace BatchRec.Jobs.Stages;

/// <summary>
/// Full-ranking evaluation of the trained model on the validation and test splits, then champion/challenger: the
/// published (champion) model's factors, re-indexed to this run's users and items (ids it never saw get zero vectors),
/// are evaluated on this run's validation split; the run may publish only if its validation NDCG@10 is not below the
/// champion's by more than <c>publish.tolerance</c>. Then the publish gate (<see cref="Publishing.PublishGate"/>): the
/// users and rows the run would publish against the last published run's. The decision is written for the later
/// stages: a rejected run's scoring shards skip and its publish stage publishes nothing.
/// </summary>
public sealed class EvaluateJob(ILogger log)
{
    public const string MetricsFile = "metrics.json";

    /// <summary>The metrics table's other rows (run id left empty): tuning points and the other auto candidates.</summary>
    public const string ExtraMetricsFile = "metrics-extra.json";

    /// <summary>
    /// The metrics table's rows besides the published model's figures: one <c>tuning</c> row per setting a model
    /// tried (split valid, or pseudo-new for EASE's content ridge; eval.stopMetric@stopK), for the published model and every other auto candidate, and
    /// each other candidate's figures as <c>candidate</c> rows.
    /// </summary>
    public static List<MetricRow> ExtraMetrics(Config config, Core.Train.TrainedModel model, AutoChoice? auto)
    {
        var rows = new List<MetricRow>();
        void AddTuning(string kind, IEnumerable<Core.Train.TuningPoint> points) =>
            rows.AddRange(
                points.Select(p => new MetricRow(
                    "",
                    kind,
                    p.Split ?? "valid",
                    config.Eval.StopMetric.Name,
                    config.Eval.StopK,
                    p.Valid,
                    MetricRow.Tuning,
                    p.Setting
                ))
            );
        var published = auto?.Chosen ?? model.Kind;
        AddTuning(published, model.Tuning);
        foreach (var c in auto?.Candidates ?? [])
        {
            if (c.Kind == published)
                continue;
            rows.AddRange(
                c.Metrics.Select(m => new MetricRow("", c.Kind, m.Split, m.Metric, m.K, m.Value, MetricRow.Candidate))
            );
            AddTuning(c.Kind, c.Tuning);
        }
        return rows;
    }

    /// <summary>The rows <see cref="ExtraMetrics"/> wrote for the run (none for runs evaluated before they existed).</summary>
    public static IReadOnlyList<MetricRow> ReadExtraMetrics(Runs.RunFolder folder)
    {
        var path = Path.Combine(folder.EvalDir, ExtraMetricsFile);
        return File.Exists(path) ? Runs.Json.Read<List<MetricRow>>(path) : [];
    }

    [JobDisplayName("evaluate {0}")]
    public Task RunAsync(string runDir, CancellationToken ct) =>
        Stage.RunAsync(
            runDir,
            StageNames.Evaluate,
            log,
            async (folder, config, _) =>
            {
                var (snapshot, graphs, model, device) = await TrainedInputs.LoadAsync(folder, config.Config, ct);
                var metrics = Pipeline.evaluate(config.Config, device, graphs, model).ToList();
                Runs.Json.WriteAtomic(Path.Combine(folder.EvalDir, MetricsFile), metrics);
                Runs.Json.WriteAtomic(
                    Path.Combine(folder.EvalDir, ExtraMetricsFile),
                    ExtraMetrics(config.Config, model, AutoChoice.Read(folder))
                );
                var challenger = Champion.figure(Champion.Split, metrics) ?? double.NaN;
                Runs.ChampionDecision? decision = null;
                if (config.Config.Publish.ChampionCheck)
                {
                    decision = await DecideAsync(folder, config, challenger, ct);
                    if (decision.Publish)
                        log.Information("Champion check passed: {Reason}", decision.Reason);
                    else
                        log.Warning("Champion check failed, the run will be rejected: {Reason}", decision.Reason);
                }
                var (users, rows) = Publishing.PublishGate.Expected(snapshot, config.Config.Score.K);
                if (Publishing.PublishGate.Check(config, users, rows) is { } gate)
                {
                    if (gate.Pass)
                        log.Information("Publish gate passed: {Reason}", gate.Reason);
                    else
                        log.Warning("Publish gate failed, the run will be rejected: {Reason}", gate.Reason);
                    decision = decision is null
                        ? new Runs.ChampionDecision(
                            gate.Pass,
                            challenger,
                            null,
                            null,
                            config.Config.Publish.Tolerance,
                            gate.Reason
                        )
                        {
                            Gate = gate,
                        }
                        : decision with
                        {
                            Publish = decision.Publish && gate.Pass,
                            Gate = gate,
                            // the reason of the check that failed; both reasons when both failed or both passed
                            Reason =
                                decision.Publish == gate.Pass ? $"{decision.Reason}; {gate.Reason}"
                                : decision.Publish ? gate.Reason
                                : decision.Reason,
                        };
                }
                if (decision is not null)
                    Runs.Json.WriteAtomic(folder.DecisionJson, decision);
                foreach (var m in metrics.Where(m => m.Split is "test" or "cold"))
                    log.Information("{Split} {Metric}@{K} = {Value:F4}", m.Split, m.Metric, m.K, m.Value);
                double Get(string split, string name, int k) =>
                    metrics.FirstOrDefault(m => m.Split == split && m.Metric == name && m.K == k)?.Value ?? double.NaN;
                return new Dictionary<string, object>
                {
                    ["testNdcg@10"] = Champion.figure("test", metrics) ?? double.NaN,
                    ["testRecall@10"] = Get("test", "recall", 10),
                    ["validMrr@10"] = Get("valid", "mrr", 10),
                };
            },
            ct
        );

    /// <summary>The dataset's champion pointer, under the work folder.</summary>
    public static string ChampionPath(Configuration.LoadedConfig config) =>
        Path.Combine(config.WorkDir, "champion.json");

    /// <summary>The decision, or null when the champion check and the publish gate are off.</summary>
    public static Runs.ChampionDecision? ReadDecision(Runs.RunFolder folder) =>
        File.Exists(folder.DecisionJson) ? Runs.Json.Read<Runs.ChampionDecision>(folder.DecisionJson) : null;

    private async Task<Runs.ChampionDecision> DecideAsync(
        Runs.RunFolder folder,
        Configuration.LoadedConfig config,
        double challenger,
        CancellationToken ct
    )
    {
        var tolerance = config.Config.Publish.Tolerance;
        var path = ChampionPath(config);
        if (!File.Exists(path))
            return new(true, challenger, null, null, tolerance, $"no published model yet; NDCG@10 {challenger:F4}");
        var champion = Runs.Json.Read<Runs.ChampionRecord>(path);
        var championFolder = new Runs.RunFolder(champion.RunDir);
        if (!Store.ModelStore.Exists(championFolder.ModelDir) || !Directory.Exists(championFolder.SnapshotDir))
        {
            log.Warning(
                "The champion run {RunId}'s model or snapshot is gone ({Dir}); the new run is published without comparison",
                champion.RunId,
                champion.RunDir
            );
            return new(
                true,
                challenger,
                null,
                champion.RunId,
                tolerance,
                $"champion {champion.RunId}'s model is no longer stored"
            );
        }
        var (snapshot, graphs, _, device) = await TrainedInputs.LoadAsync(folder, config.Config, ct);
        var old = await Store.SnapshotStore.ReadAsync(championFolder.SnapshotDir, ct);
        var oldModel = Store.ModelStore.Read(championFolder.ModelDir);
        var userRows = snapshot.UserIds.Ids.Select(old.UserIds.IndexOrMinusOne).ToArray();
        var itemRows = snapshot.ItemIds.Ids.Select(old.ItemIds.IndexOrMinusOne).ToArray();
        var remapped = Pipeline.remapFactors(oldModel, userRows, itemRows);
        var championNdcg = Champion.figure(Champion.Split, Pipeline.evaluate(config.Config, device, graphs, remapped))
            ?? double.NaN;
        var publish = Champion.publishes(challenger, championNdcg, tolerance);
        var reason =
            $"validation NDCG@10 {challenger:F4} (new) vs {championNdcg:F4} (champion {champion.RunId}), tolerance {tolerance:G}";
        return new(publish, challenger, championNdcg, champion.RunId, tolerance, reason);
    }

    public static IReadOnlyList<MetricRecord> ReadMetrics(Runs.RunFolder folder) =>
        Runs.Json.Read<List<MetricRecord>>(Path.Combine(folder.EvalDir, MetricsFile));
}
