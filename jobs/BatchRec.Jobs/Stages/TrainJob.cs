using BatchRec.Core;
using BatchRec.Core.Graph;
using BatchRec.Core.Train;
using BatchRec.Jobs.Features;
using BatchRec.Jobs.Store;
using Hangfire;
using Microsoft.FSharp.Collections;
using Serilog;

namespace BatchRec.Jobs.Stages;

/// <summary>One model.kind auto candidate: its validation score (eval.stopMetric@stopK), every metric, its training, and the
/// best candidate's paired per-user validation difference from it with that difference's standard error
/// (CandidateChoice.pairedDifference; 0 and 0 for the best itself).</summary>
public sealed record CandidateResult(
    string Kind,
    double Valid,
    double Seconds,
    int Epochs,
    int BestEpoch,
    double SecondsPerEpoch,
    IReadOnlyList<MetricRecord> Metrics,
    IReadOnlyList<TuningPoint> Tuning,
    string Note,
    double BestMinusThis = 0,
    double StandardError = 0
);

/// <summary>What model.kind auto trained and chose (<c>model/auto.json</c>), with the auto.standardErrors the choice used.</summary>
public sealed record AutoChoice(
    string Metric,
    string Chosen,
    IReadOnlyList<CandidateResult> Candidates,
    double StandardErrors = 0
)
{
    public const string FileName = "auto.json";

    public static AutoChoice? Read(Runs.RunFolder folder)
    {
        var path = Path.Combine(folder.ModelDir, FileName);
        return File.Exists(path) ? Runs.Json.Read<AutoChoice>(path) : null;
    }

    /// <summary>The model name the run's outputs carry: auto's chosen candidate (a kind or a variant such as
    /// <c>ease:side</c>) when model.kind is auto, else the stored model's kind.</summary>
    public static string PublishedName(Runs.RunFolder folder, string kind) => Read(folder)?.Chosen ?? kind;
}

/// <summary>One epoch of a model's training as the run page draws it: the loss, and the validation metric when the epoch
/// was evaluated.</summary>
public sealed record EpochPoint(int Epoch, double Loss, double? Valid, double Seconds, bool Improved);

/// <summary>The training of one model (each model.kind auto candidate has one): its epochs and the settings it tried.</summary>
public sealed record CurveRecord(string Model, IReadOnlyList<EpochPoint> Epochs, IReadOnlyList<TuningPoint> Tuning);

/// <summary>Every model the train stage trained, in order, with the metric its validation figures are
/// (<c>model/curves.json</c>).</summary>
public sealed record TrainingCurves(string Metric, IReadOnlyList<CurveRecord> Models)
{
    public const string FileName = "curves.json";

    public static TrainingCurves? Read(Runs.RunFolder folder)
    {
        var path = Path.Combine(folder.ModelDir, FileName);
        return File.Exists(path) ? Runs.Json.Read<TrainingCurves>(path) : null;
    }
}

/// <summary>
/// Trains the configured model on the snapshot's train split (GPU when present) and stores it. With model.kind auto
/// every candidate of auto.candidates is trained and evaluated on the same split, the best by validation (never
/// test) is stored, and every candidate's figures go to <c>model/auto.json</c>.
/// </summary>
public sealed class TrainJob(ILogger log)
{
    [JobDisplayName("train {0}")]
    public Task RunAsync(string runDir, CancellationToken ct) =>
        Stage.RunAsync(
            runDir,
            StageNames.Train,
            log,
            async (folder, config, _) =>
            {
                var loadWatch = System.Diagnostics.Stopwatch.StartNew();
                var snapshot = await SnapshotStore.ReadAsync(folder.SnapshotDir, ct);
                var snapshotSeconds = loadWatch.Elapsed.TotalSeconds;
                var graphs = Pipeline.splitGraphs(snapshot);
                var graphSeconds = loadWatch.Elapsed.TotalSeconds - snapshotSeconds;
                var cfg = config.Config;
                Pipeline.setThreads(cfg.Train.Threads);
                var device = Pipeline.chooseDevice(cfg.Train.Device); // chosen once for this stage
                var catalogue = await Catalogue.ReadAsync(folder.SnapshotDir, ct);
                var metric = $"{cfg.Eval.StopMetric}@{cfg.Eval.StopK}";
                var trainWatch = System.Diagnostics.Stopwatch.StartNew();
                TrainedModel model;
                FeatureStats featureStats;
                AutoChoice? auto = null;
                var curves = new List<CurveRecord>();
                if (cfg.Model.Kind.IsAuto)
                    (model, featureStats, auto) = await TrainCandidatesAsync(
                        cfg,
                        device,
                        graphs,
                        catalogue,
                        snapshot,
                        config.TextCacheDir,
                        metric,
                        curves,
                        ct
                    );
                else
                    (model, featureStats) = await TrainOneAsync(
                        cfg,
                        device,
                        graphs,
                        catalogue,
                        snapshot,
                        config.TextCacheDir,
                        metric,
                        curves,
                        cfg.Model.Kind.Name,
                        ct
                    );
                var trainSeconds = trainWatch.Elapsed.TotalSeconds;
                ModelStore.Write(folder.ModelDir, model);
                var autoPath = Path.Combine(folder.ModelDir, AutoChoice.FileName);
                if (auto is not null)
                    Runs.Json.WriteAtomic(autoPath, auto);
                else if (File.Exists(autoPath))
                    File.Delete(autoPath);
                Runs.Json.WriteAtomic(
                    Path.Combine(folder.ModelDir, TrainingCurves.FileName),
                    new TrainingCurves(metric, curves)
                );
                log.Information(
                    "Trained {Model}: {Epochs} epochs ({PerEpoch:F3} s/epoch); best valid {Metric} {Best:F4} at epoch {BestEpoch}{Early}",
                    model.Kind,
                    model.EpochsRun,
                    model.SecondsPerEpoch,
                    metric,
                    model.BestValid,
                    model.BestEpoch,
                    model.StoppedEarly ? ", stopped early" : ""
                );
                var record = new Dictionary<string, object>
                {
                    ["snapshotReadSeconds"] = snapshotSeconds,
                    ["graphSeconds"] = graphSeconds,
                    ["trainSeconds"] = trainSeconds,
                    ["device"] = device.type.ToString(),
                    ["model"] = model.Kind,
                    ["epochs"] = model.EpochsRun,
                    ["bestEpoch"] = model.BestEpoch,
                    ["secondsPerEpoch"] = model.SecondsPerEpoch,
                    ["bestValid"] = model.BestValid,
                    ["tuning"] = model
                        .Tuning.Select(p => new Dictionary<string, object>
                        {
                            ["setting"] = p.Setting,
                            ["valid"] = p.Valid,
                            ["seconds"] = p.Seconds,
                        })
                        .ToList(),
                    ["attributes"] = featureStats.Attributes,
                    ["itemsWithText"] = featureStats.ItemsWithText,
                    ["usersWithText"] = featureStats.UsersWithText,
                    ["textSource"] = featureStats.Source,
                    ["textsEncoded"] = (featureStats.Items?.Encoded ?? 0) + (featureStats.Users?.Encoded ?? 0),
                    ["textCacheHits"] = (featureStats.Items?.CacheHits ?? 0) + (featureStats.Users?.CacheHits ?? 0),
                    ["textEncodeSeconds"] =
                        (featureStats.Items?.EncodeSeconds ?? 0) + (featureStats.Users?.EncodeSeconds ?? 0),
                };
                if (auto is not null)
                {
                    record["autoChosen"] = auto.Chosen;
                    record["autoCandidates"] = auto
                        .Candidates.Select(c => new Dictionary<string, object>
                        {
                            ["kind"] = c.Kind,
                            ["valid"] = c.Valid,
                            ["seconds"] = c.Seconds,
                            ["note"] = c.Note,
                        })
                        .ToList();
                }
                return record;
            },
            ct
        );

    /// <summary>Builds the features <paramref name="cfg"/>'s model needs and trains it, logging each epoch and tuning point.</summary>
    private async Task<(TrainedModel Model, FeatureStats Stats)> TrainOneAsync(
        Config cfg,
        TorchSharp.torch.Device device,
        SplitGraphs graphs,
        Catalogue catalogue,
        Snapshot snapshot,
        string textCacheDir,
        string metric,
        List<CurveRecord> curves,
        string name,
        CancellationToken ct
    )
    {
        var epochs = new List<EpochPoint>();
        log.Information(
            "Training {Model} (dim {Dim}, {Layers} layers) on {Device} for at most {Epochs} epochs, batch {Batch}, lr {Lr}, loss {Loss}{Blend}",
            cfg.Model.Kind,
            cfg.Model.Dim,
            cfg.Model.Layers,
            device.type.ToString(),
            cfg.Train.MaxEpochs,
            cfg.Train.BatchSize,
            cfg.Train.LearningRate,
            cfg.Train.Loss,
            cfg.Blend.ItemItem.IsNone ? "" : ", blended with " + cfg.Blend.ItemItem.Name
        );
        var (features, featureStats) = await FeatureBuilder.BuildAsync(
            cfg,
            textCacheDir,
            catalogue,
            snapshot.ItemIds,
            graphs.HeldOut,
            log,
            ct
        );
        if (featureStats.Source != "none")
            log.Information(
                "Node features: {Attributes} attributes, {ItemsWithText} items and {UsersWithText} users with text from {Source}; encoded {Encoded} in {EncodeSeconds:F1} s, cache hits {Hits}",
                featureStats.Attributes,
                featureStats.ItemsWithText,
                featureStats.UsersWithText,
                featureStats.Source,
                (featureStats.Items?.Encoded ?? 0) + (featureStats.Users?.Encoded ?? 0),
                (featureStats.Items?.EncodeSeconds ?? 0) + (featureStats.Users?.EncodeSeconds ?? 0),
                (featureStats.Items?.CacheHits ?? 0) + (featureStats.Users?.CacheHits ?? 0)
            );
        var model = Pipeline.trainTuned(
            cfg,
            device,
            graphs,
            features,
            r =>
            {
                epochs.Add(new EpochPoint(r.Epoch, r.Loss, r.Valid?.Value, r.Seconds, r.Improved));
                if (r.Valid is { } v)
                    log.Information(
                        "Epoch {Epoch} loss {Loss:F4} in {Seconds:F3} s; valid {Metric} {Valid:F4}{Best}",
                        r.Epoch,
                        r.Loss,
                        r.Seconds,
                        metric,
                        v.Value,
                        r.Improved ? " (best)" : ""
                    );
                else
                    log.Information("Epoch {Epoch} loss {Loss:F4} in {Seconds:F3} s", r.Epoch, r.Loss, r.Seconds);
            },
            p =>
                log.Information(
                    "{Model} {Setting}: valid {Metric} {Valid:F4} ({Seconds:F1} s)",
                    cfg.Model.Kind,
                    p.Setting,
                    metric,
                    p.Valid,
                    p.Seconds
                ),
            ct
        );
        curves.Add(new CurveRecord(name, epochs, [.. model.Tuning]));
        return (model, featureStats);
    }

    /// <summary>
    /// model.kind auto: every candidate trained (its config = <see cref="ConfigModule.forModel"/>) and evaluated on this
    /// split; the one returned is CandidateChoice.chooseCandidate's over the per-user validation eval.stopMetric@stopK: the
    /// earliest candidate within auto.standardErrors standard errors of the best. A candidate whose EASE part would
    /// exceed ease.maxGiB is left out (ease) or trained without it (a blend). Every candidate's model is kept until the
    /// choice is made.
    /// </summary>
    private async Task<(TrainedModel, FeatureStats, AutoChoice)> TrainCandidatesAsync(
        Config cfg,
        TorchSharp.torch.Device device,
        SplitGraphs graphs,
        Catalogue catalogue,
        Snapshot snapshot,
        string textCacheDir,
        string metric,
        List<CurveRecord> curves,
        CancellationToken ct
    )
    {
        var results = new List<CandidateResult>();
        var trained = new List<(TrainedModel Model, FeatureStats Stats, double[] Scores)>();
        var maxItems = ConfigModule.easeMaxItems(cfg.Ease.MaxGiB);
        foreach (var kind in cfg.Auto.Candidates)
        {
            ct.ThrowIfCancellationRequested();
            var candidate = ConfigModule.forModel(cfg, kind);
            var note = "";
            if (ConfigModule.usesEase(candidate) && snapshot.NumItems > maxItems)
            {
                if (candidate.Model.Kind.IsEase)
                {
                    log.Warning(
                        "auto: candidate {Kind} left out: {Items} items need {GiB:F1} GiB, above ease.maxGiB {Max} (at most {MaxItems} items)",
                        kind,
                        snapshot.NumItems,
                        Core.Nn.Ease.fitBytes(snapshot.NumItems) / 1073741824.0,
                        cfg.Ease.MaxGiB,
                        maxItems
                    );
                    continue;
                }
                note = $"EASE part left out: {snapshot.NumItems} items > {maxItems}";
                log.Warning("auto: candidate {Kind} trained without its EASE part: {Note}", kind, note);
                candidate = ConfigModule.withOverrides(candidate, """{"blend":{"itemItem":"none"}}""");
            }
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var (model, stats) = await TrainOneAsync(
                candidate,
                device,
                graphs,
                catalogue,
                snapshot,
                textCacheDir,
                metric,
                curves,
                kind,
                ct
            );
            var metrics = Pipeline.evaluate(candidate, device, graphs, model).ToList();
            var valid = metrics
                .First(m => m.Split == "valid" && m.Metric == cfg.Eval.StopMetric.Name && m.K == cfg.Eval.StopK)
                .Value;
            results.Add(
                new CandidateResult(
                    kind,
                    valid,
                    watch.Elapsed.TotalSeconds,
                    model.EpochsRun,
                    model.BestEpoch,
                    model.SecondsPerEpoch,
                    metrics,
                    [.. model.Tuning],
                    note
                )
            );
            trained.Add((model, stats, Pipeline.validScores(candidate, device, graphs, model)));
            log.Information(
                "auto: candidate {Kind}: valid {Metric} {Valid:F4}, test ndcg@10 {Test:F4} ({Seconds:F0} s)",
                kind,
                metric,
                valid,
                Champion.figure("test", metrics) ?? double.NaN,
                watch.Elapsed.TotalSeconds
            );
        }
        if (results.Count == 0)
            throw new InvalidOperationException("model.kind auto trained no candidate (every candidate was left out)");
        var scores = ListModule.OfSeq(results.Select((r, i) => Tuple.Create(r.Kind, trained[i].Scores)));
        var chosen = CandidateChoice.chooseCandidate(cfg.Auto.StandardErrors, scores);
        var best = CandidateChoice.chooseCandidate(0.0, scores);
        var bestScores = trained[results.FindIndex(r => r.Kind == best)].Scores;
        for (var i = 0; i < results.Count; i++)
        {
            var (diff, se) = CandidateChoice.pairedDifference(bestScores, trained[i].Scores);
            results[i] = results[i] with { BestMinusThis = diff, StandardError = se };
        }
        var at = results.FindIndex(r => r.Kind == chosen);
        log.Information(
            "auto: chose {Kind} (valid {Metric} {Valid:F4}; best {Best}, within {StandardErrors} standard errors) among {Candidates}",
            chosen,
            metric,
            results[at].Valid,
            best,
            cfg.Auto.StandardErrors,
            string.Join(
                ", ",
                results.Select(r => $"{r.Kind} {r.Valid:F4} (best − it {r.BestMinusThis:F4} ± {r.StandardError:F4})")
            )
        );
        return (trained[at].Model, trained[at].Stats, new AutoChoice(metric, chosen, results, cfg.Auto.StandardErrors));
    }
}
