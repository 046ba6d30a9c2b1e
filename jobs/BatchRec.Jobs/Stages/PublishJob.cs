using BatchRec.Core;
using BatchRec.Jobs.Io;
using BatchRec.Jobs.Publishing;
using BatchRec.Jobs.Runs;
using BatchRec.Jobs.Store;
using Hangfire;
using Serilog;

namespace BatchRec.Jobs.Stages;

/// <summary>
/// Makes the run's outputs visible: writes the metrics partition, swaps the recommendations and metrics partitions of
/// the run's date to the new versions (see <see cref="Publisher"/>), then writes the run manifest. Safe to retry:
/// a partition this run already published is re-linked, not rewritten.
/// </summary>
[Queue("default")]
public sealed class PublishJob(ILogger log)
{
    [JobDisplayName("publish {0}")]
    public Task RunAsync(string runDir, CancellationToken ct) =>
        Stage.RunAsync(runDir, StageNames.Publish, log, async (folder, config, context) =>
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
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
                await OutputTables.WriteMetricsAsync(Path.Combine(stagedMetrics, "part-00000.parquet"),
                    metrics.Select(m => new MetricRow(context.RunId, model.Kind, m.Split, m.Metric, m.K, m.Value)).ToList(), ct);
            }
            // Staging lives in the work folder; move it next to the table first so the final move is a same-disk rename.
            var recVersion = PublishTable(recTable, Path.Combine(folder.StagingDir, Schema.Output.Recommendations), context);
            var metricVersion = PublishTable(metricTable, stagedMetrics, context);

            var manifest = Manifest.Build(folder, config, context, DateTimeOffset.UtcNow,
                new Dictionary<string, string> { ["recommendations"] = recVersion, ["metrics"] = metricVersion });
            manifest.StageSeconds[StageNames.Publish] = clock.Elapsed.TotalSeconds; // up to the manifest itself
            Json.WriteAtomic(Path.Combine(folder.Path, "manifest.json"), manifest);
            Json.WriteAtomic(Path.Combine(config.OutputDir, Schema.Output.Manifests, Publisher.PartitionName(context.Date), context.RunId + ".json"), manifest);
            log.Information("Published run {RunId} for {Date}: {Recommendations} and {Metrics}", context.RunId, context.Date, recVersion, metricVersion);
            return new Dictionary<string, object> { ["recommendations"] = recVersion, ["metrics"] = metricVersion };
        }, ct);

    private static bool AlreadyPublished(string table, RunContext context) =>
        Directory.Exists(Path.Combine(table, ".versions", Publisher.PartitionName(context.Date), context.RunId));

    private static string PublishTable(string table, string staged, RunContext context)
    {
        if (!Directory.Exists(staged) && AlreadyPublished(table, context))
            return Publisher.Relink(table, context.Date, context.RunId);
        var nearTable = Path.Combine(table, ".staging", context.RunId);
        if (Directory.Exists(nearTable)) Directory.Delete(nearTable, recursive: true);
        Directory.CreateDirectory(Path.GetDirectoryName(nearTable)!);
        MoveDirectory(staged, nearTable);
        return Publisher.PublishPartition(table, context.Date, nearTable, context.RunId);
    }

    /// <summary>Rename when on one file system, else copy then delete (the copy is still hidden under .staging).</summary>
    private static void MoveDirectory(string from, string to)
    {
        try { Directory.Move(from, to); }
        catch (IOException)
        {
            Directory.CreateDirectory(to);
            foreach (var f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
            Directory.Delete(from, recursive: true);
        }
    }
}
