using BatchRec.Core;
using BatchRec.Jobs.Io;
using BatchRec.Jobs.Publishing;
using BatchRec.Jobs.Runs;
using BatchRec.Jobs.Store;
using Hangfire;
using Serilog;

namespace BatchRec.Jobs.Stages;

/// <summary>
/// Makes the run's outputs visible: writes the metrics partition, swaps the recommendations, similar_items (when
/// score.similarItems is on) and metrics partitions of the run's date to the new versions (see <see cref="Publisher"/>), then writes the run manifest. Safe to retry:
/// a partition this run already published is re-linked, not rewritten. It first checks that every scoring shard
/// recorded its rows and that each part holds exactly those rows; a run the evaluate stage rejected (champion/challenger
/// or the publish gate) publishes nothing and keeps the previous recommendations. A published run becomes the dataset's
/// champion and the last published run the next night's publish gate compares with.
/// </summary>
public sealed class PublishJob(ILogger log)
{
    [JobDisplayName("publish {0}")]
    public Task RunAsync(string runDir, CancellationToken ct) =>
        Stage.RunAsync(
            runDir,
            StageNames.Publish,
            log,
            async (folder, config, context) =>
            {
                var clock = System.Diagnostics.Stopwatch.StartNew();
                await CheckShardsAsync(folder, context, ct);
                var decision = EvaluateJob.ReadDecision(folder);
                if (decision is { Publish: false })
                {
                    Json.WriteAtomic(
                        folder.OutcomeJson,
                        new RunOutcomeRecord(
                            "rejected",
                            decision.ChallengerNdcg10,
                            decision.ChampionNdcg10,
                            decision.ChampionRun,
                            decision.Tolerance,
                            decision.Reason
                        )
                        {
                            Gate = decision.Gate,
                        }
                    );
                    log.Warning(
                        "Run {RunId} rejected, nothing published; the previous recommendations stay: {Reason}",
                        context.RunId,
                        decision.Reason
                    );
                    PipelineMetrics.Rejected(config.DatasetName, decision);
                    return new Dictionary<string, object> { ["state"] = "rejected", ["reason"] = decision.Reason };
                }
                if (context.SimilarItems > 0) // a rejected run's similar-items job wrote nothing
                    await CheckSimilarItemsAsync(folder, context, ct);
                var model = ModelStore.ReadInfo(folder.ModelDir);
                var metrics = EvaluateJob.ReadMetrics(folder);
                var stagedMetrics = Path.Combine(folder.StagingDir, Schema.Output.Metrics);
                var recTable = Path.Combine(config.OutputDir, Schema.Output.Recommendations);
                var metricTable = Path.Combine(config.OutputDir, Schema.Output.Metrics);
                Directory.CreateDirectory(recTable);
                Directory.CreateDirectory(metricTable);
                if (!Directory.Exists(stagedMetrics) && !AlreadyPublished(metricTable, context))
                {
                    Directory.CreateDirectory(stagedMetrics);
                    await OutputTables.WriteMetricsAsync(
                        Path.Combine(stagedMetrics, "part-00000.parquet"),
                        metrics
                            .Select(m => new MetricRow(
                                context.RunId,
                                AutoChoice.PublishedName(folder, model.Kind),
                                m.Split,
                                m.Metric,
                                m.K,
                                m.Value
                            ))
                            .Concat(EvaluateJob.ReadExtraMetrics(folder).Select(m => m with { RunId = context.RunId }))
                            .ToList(),
                        ct
                    );
                }
                // Staging lives in the work folder; move it next to the table first so the final move is a same-disk rename.
                var recVersion = PublishTable(
                    recTable,
                    Path.Combine(folder.StagingDir, Schema.Output.Recommendations),
                    context
                );
                var outputs = new Dictionary<string, string> { [Schema.Output.Recommendations] = recVersion };
                if (context.SimilarItems > 0)
                {
                    var similarTable = Path.Combine(config.OutputDir, Schema.Output.SimilarItems);
                    Directory.CreateDirectory(similarTable);
                    outputs[Schema.Output.SimilarItems] = PublishTable(
                        similarTable,
                        Path.Combine(folder.StagingDir, Schema.Output.SimilarItems),
                        context
                    );
                }
                var metricVersion = PublishTable(metricTable, stagedMetrics, context);
                outputs[Schema.Output.Metrics] = metricVersion;

                var manifest = Manifest.Build(folder, config, context, DateTimeOffset.UtcNow, outputs);
                manifest.StageSeconds[StageNames.Publish] = clock.Elapsed.TotalSeconds; // up to the manifest itself
                Json.WriteAtomic(Path.Combine(folder.Path, "manifest.json"), manifest);
                var manifestPath = Path.Combine(
                    config.OutputDir,
                    Schema.Output.Manifests,
                    Publisher.PartitionName(context.Date),
                    context.RunId + ".json"
                );
                Json.WriteAtomic(manifestPath, manifest);
                Json.WriteAtomic(
                    PublishGate.LastPublishedPath(config),
                    new LastPublishedRecord(
                        context.RunId,
                        context.Date,
                        manifestPath,
                        manifest.Rows["users"],
                        manifest.Rows["recommendations"],
                        manifest.PublishedUtc
                    )
                ); // what the next night's publish gate compares with
                var ndcg = Champion.figure(Champion.Split, metrics);
                Json.WriteAtomic(
                    folder.OutcomeJson,
                    new RunOutcomeRecord(
                        "published",
                        decision?.ChallengerNdcg10 ?? ndcg,
                        decision?.ChampionNdcg10,
                        decision?.ChampionRun,
                        config.Config.Publish.Tolerance,
                        decision?.Reason ?? "champion check and publish gate off"
                    )
                    {
                        Gate = decision?.Gate,
                    }
                );
                if (ndcg is { } v)
                    Json.WriteAtomic(
                        EvaluateJob.ChampionPath(config),
                        new ChampionRecord(context.RunId, folder.Path, context.Date, v, DateTimeOffset.UtcNow)
                    );
                log.Information(
                    "Published run {RunId} for {Date}: {Recommendations} and {Metrics}",
                    context.RunId,
                    context.Date,
                    recVersion,
                    metricVersion
                );
                PipelineMetrics.Published(config.DatasetName, manifest.Rows["recommendations"]);
                return new Dictionary<string, object>
                {
                    ["state"] = "published",
                    ["recommendations"] = recVersion,
                    ["metrics"] = metricVersion,
                    ["similarItems"] = outputs.GetValueOrDefault(Schema.Output.SimilarItems, ""),
                };
            },
            ct
        );

    /// <summary>
    /// Every shard recorded, every part holding the rows its shard recorded; then one "score" stage record for the
    /// manifest (wall time from the first shard's start to the last one's end, rows and users summed, the workers).
    /// </summary>
    private static async Task CheckShardsAsync(RunFolder folder, RunContext context, CancellationToken ct)
    {
        var records = new List<StageRecord>();
        for (var i = 0; i < context.Shards; i++)
            records.Add(
                folder.ReadShard(i)
                    ?? throw new InvalidOperationException(
                        $"Scoring shard {i} of run {context.RunId} has not finished; nothing is published."
                    )
            );
        static long Num(object? o) =>
            o is System.Text.Json.JsonElement e
                ? e.GetInt64()
                : Convert.ToInt64(o ?? 0L, System.Globalization.CultureInfo.InvariantCulture);
        long rows = 0,
            users = 0;
        var staged = Path.Combine(folder.StagingDir, Schema.Output.Recommendations);
        for (var i = 0; i < records.Count; i++)
        {
            var expected = Num(records[i].Details.GetValueOrDefault("rows"));
            var part = Path.Combine(staged, $"part-{RunFolder.ShardName(i)}.parquet");
            if (expected > 0 && Directory.Exists(staged)) // a retried publish has already moved the staged parts
            {
                if (!File.Exists(part))
                    throw new InvalidOperationException(
                        $"Scoring shard {i} recorded {expected} rows but its part '{part}' is missing."
                    );
                var actual = await RowsInAsync(part, ct);
                if (actual != expected)
                    throw new InvalidOperationException(
                        $"Scoring shard {i}'s part '{part}' holds {actual} rows, its record says {expected}."
                    );
            }
            rows += expected;
            users += Num(records[i].Details.GetValueOrDefault("users"));
        }
        var started = records.Min(r => r.StartedUtc);
        var finished = records.Max(r => r.FinishedUtc);
        folder.WriteStage(
            new StageRecord(
                StageNames.Score,
                started,
                finished,
                (finished - started).TotalSeconds,
                new Dictionary<string, object>
                {
                    ["shards"] = records.Count,
                    ["users"] = users,
                    ["rows"] = rows,
                    ["workers"] = records
                        .Select(r => r.Details.GetValueOrDefault("worker")?.ToString() ?? "")
                        .Distinct()
                        .Order()
                        .ToList(),
                    ["peakRssMiB"] = records.Max(r =>
                        r.Details.GetValueOrDefault("peakRssMiB") is System.Text.Json.JsonElement e
                            ? e.GetDouble()
                            : 0.0
                    ), // the largest shard's window
                }
            )
        );
    }

    /// <summary>The similar-items job recorded its rows and its staged part holds exactly those (unless a retried
    /// publish has already moved it).</summary>
    private static async Task CheckSimilarItemsAsync(RunFolder folder, RunContext context, CancellationToken ct)
    {
        var path = Path.Combine(folder.StagesDir, StageNames.SimilarItems + ".json");
        if (!File.Exists(path))
            throw new InvalidOperationException(
                $"The similar-items job of run {context.RunId} has not finished; nothing is published."
            );
        var record = Json.Read<StageRecord>(path);
        var expected = record.Details.GetValueOrDefault("rows") is System.Text.Json.JsonElement e ? e.GetInt64() : 0;
        var part = SimilarItemsJob.StagedPart(folder);
        if (!Directory.Exists(Path.GetDirectoryName(part)))
        {
            // moved by an earlier attempt of this publish: next to the table, or already published
            var table = Path.Combine(folder.LoadConfig().OutputDir, Schema.Output.SimilarItems);
            if (!AlreadyPublished(table, context) && !Directory.Exists(Path.Combine(table, ".staging", context.RunId)))
                throw new InvalidOperationException(
                    $"The similar-items part of run {context.RunId} is neither staged nor published; rerun the run from the score stage."
                );
            return;
        }
        if (!File.Exists(part))
            throw new InvalidOperationException(
                $"The similar-items job recorded {expected} rows but its part '{part}' is missing."
            );
        var actual = await RowsInAsync(part, ct);
        if (actual != expected)
            throw new InvalidOperationException(
                $"The similar-items part '{part}' holds {actual} rows, its record says {expected}."
            );
    }

    /// <summary>The rows of a Parquet file, from its row groups' metadata.</summary>
    private static async Task<long> RowsInAsync(string part, CancellationToken ct)
    {
        long rows = 0;
        await using var reader = await Parquet.ParquetReader.CreateAsync(part, cancellationToken: ct);
        for (var g = 0; g < reader.RowGroupCount; g++)
            rows += reader.OpenRowGroupReader(g).RowCount;
        return rows;
    }

    private static bool AlreadyPublished(string table, RunContext context) =>
        Directory.Exists(Path.Combine(table, ".versions", Publisher.PartitionName(context.Date), context.RunId));

    private static string PublishTable(string table, string staged, RunContext context)
    {
        if (!Directory.Exists(staged) && AlreadyPublished(table, context))
            return Publisher.Relink(table, context.Date, context.RunId);
        var nearTable = Path.Combine(table, ".staging", context.RunId);
        if (!Directory.Exists(staged) && Directory.Exists(nearTable)) // an earlier attempt moved it and stopped there
            return Publisher.PublishPartition(table, context.Date, nearTable, context.RunId);
        if (Directory.Exists(nearTable))
            Directory.Delete(nearTable, recursive: true);
        Directory.CreateDirectory(Path.GetDirectoryName(nearTable)!);
        MoveDirectory(staged, nearTable);
        return Publisher.PublishPartition(table, context.Date, nearTable, context.RunId);
    }

    /// <summary>Rename when on one file system, else copy then delete (the copy is still hidden under .staging).</summary>
    private static void MoveDirectory(string from, string to)
    {
        try
        {
            Directory.Move(from, to);
        }
        catch (IOException)
        {
            Directory.CreateDirectory(to);
            foreach (var f in Directory.GetFiles(from))
                File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
            Directory.Delete(from, recursive: true);
        }
    }
}
