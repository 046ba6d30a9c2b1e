using BatchRec.Core;
using BatchRec.Core.Train;
using BatchRec.Jobs.Features;
using BatchRec.Jobs.Store;
using Hangfire;
using Serilog;

namespace BatchRec.Jobs.Stages;

/// <summary>Trains the configured model on the snapshot's train split (GPU when present) and stores its factors.</summary>
public sealed class TrainJob(ILogger log)
{
    [JobDisplayName("train {0}")]
    public Task RunAsync(string runDir, CancellationToken ct) =>
        Stage.RunAsync(runDir, StageNames.Train, log, async (folder, config, _) =>
        {
            var loadWatch = System.Diagnostics.Stopwatch.StartNew();
            var snapshot = await SnapshotStore.ReadAsync(folder.SnapshotDir, ct);
            var snapshotSeconds = loadWatch.Elapsed.TotalSeconds;
            var graphs = Pipeline.splitGraphs(snapshot);
            var graphSeconds = loadWatch.Elapsed.TotalSeconds - snapshotSeconds;
            var cfg = config.Config;
            Pipeline.setThreads(cfg.Train.Threads);
            var device = Pipeline.chooseDevice(cfg.Train.Device); // chosen once for this stage
            log.Information("Training {Model} (dim {Dim}, {Layers} layers) on {Device} for at most {Epochs} epochs, batch {Batch}, lr {Lr}",
                cfg.Model.Kind, cfg.Model.Dim, cfg.Model.Layers, device.type.ToString(), cfg.Train.MaxEpochs, cfg.Train.BatchSize, cfg.Train.LearningRate);
            var metric = $"{cfg.Eval.StopMetric}@{cfg.Eval.StopK}";
            var catalogue = await Catalogue.ReadAsync(folder.SnapshotDir, ct);
            var (features, featureStats) = await FeatureBuilder.BuildAsync(cfg, config.TextCacheDir, catalogue, snapshot.ItemIds, graphs.HeldOut, log, ct);
            if (featureStats.Source != "none")
                log.Information("Node features: {Attributes} attributes, {ItemsWithText} items and {UsersWithText} users with text from {Source}; encoded {Encoded} in {EncodeSeconds:F1} s, cache hits {Hits}",
                    featureStats.Attributes, featureStats.ItemsWithText, featureStats.UsersWithText, featureStats.Source,
                    (featureStats.Items?.Encoded ?? 0) + (featureStats.Users?.Encoded ?? 0), (featureStats.Items?.EncodeSeconds ?? 0) + (featureStats.Users?.EncodeSeconds ?? 0),
                    (featureStats.Items?.CacheHits ?? 0) + (featureStats.Users?.CacheHits ?? 0));
            var trainWatch = System.Diagnostics.Stopwatch.StartNew();
            var model = Pipeline.trainTuned(cfg, device, graphs, features, r =>
            {
                if (r.Valid is { } v)
                    log.Information("Epoch {Epoch} loss {Loss:F4} in {Seconds:F3} s; valid {Metric} {Valid:F4}{Best}",
                        r.Epoch, r.Loss, r.Seconds, metric, v.Value, r.Improved ? " (best)" : "");
                else
                    log.Information("Epoch {Epoch} loss {Loss:F4} in {Seconds:F3} s", r.Epoch, r.Loss, r.Seconds);
            }, p => log.Information("{Model} {Setting}: valid {Metric} {Valid:F4} ({Seconds:F1} s)", cfg.Model.Kind, p.Setting, metric, p.Valid, p.Seconds), ct);
            var trainSeconds = trainWatch.Elapsed.TotalSeconds;
            ModelStore.Write(folder.ModelDir, model);
            log.Information("Trained {Epochs} epochs ({PerEpoch:F3} s/epoch); best valid {Metric} {Best:F4} at epoch {BestEpoch}{Early}",
                model.EpochsRun, model.SecondsPerEpoch, metric, model.BestValid, model.BestEpoch, model.StoppedEarly ? ", stopped early" : "");
            return new Dictionary<string, object>
            {
                ["snapshotReadSeconds"] = snapshotSeconds, ["graphSeconds"] = graphSeconds, ["trainSeconds"] = trainSeconds,
                ["device"] = device.type.ToString(), ["epochs"] = model.EpochsRun, ["bestEpoch"] = model.BestEpoch,
                ["secondsPerEpoch"] = model.SecondsPerEpoch, ["bestValid"] = model.BestValid,
                ["tuning"] = model.Tuning.Select(p => new Dictionary<string, object> { ["setting"] = p.Setting, ["valid"] = p.Valid, ["seconds"] = p.Seconds }).ToList(),
                ["attributes"] = featureStats.Attributes, ["itemsWithText"] = featureStats.ItemsWithText, ["usersWithText"] = featureStats.UsersWithText,
                ["textSource"] = featureStats.Source, ["textsEncoded"] = (featureStats.Items?.Encoded ?? 0) + (featureStats.Users?.Encoded ?? 0),
                ["textCacheHits"] = (featureStats.Items?.CacheHits ?? 0) + (featureStats.Users?.CacheHits ?? 0),
                ["textEncodeSeconds"] = (featureStats.Items?.EncodeSeconds ?? 0) + (featureStats.Users?.EncodeSeconds ?? 0),
            };
        }, ct);
}
