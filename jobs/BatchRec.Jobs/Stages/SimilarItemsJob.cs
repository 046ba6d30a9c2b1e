using BatchRec.Core;
using BatchRec.Jobs.Features;
using BatchRec.Jobs.Io;
using BatchRec.Jobs.Runs;
using BatchRec.Jobs.Store;
using Hangfire;
using Serilog;

namespace BatchRec.Jobs.Stages;

/// <summary>
/// The score stage's item-to-item job, beside the scoring shards: every item's score.similarItems most similar items
/// (<see cref="Core.Eval.SimilarItems"/>: the model's similarity for items with training interactions, their text and
/// attributes for the others), written to a temporary file and renamed to
/// <c>staging/similar_items/part-00000.parquet</c>; publish makes it visible with the recommendations. Its record is
/// <c>stages/similar-items.json</c>; like a shard, the job that finds the scoring done enqueues publish.
/// </summary>
public sealed class SimilarItemsJob(ILogger log, JobStorage storage, IBackgroundJobClient client)
{
    /// <summary>The staged part (one file: the table is items × K rows).</summary>
    public static string StagedPart(RunFolder folder) =>
        Path.Combine(folder.StagingDir, Schema.Output.SimilarItems, "part-00000.parquet");

    [JobDisplayName("similar items {0}")]
    public async Task RunAsync(string runDir, CancellationToken ct)
    {
        await Stage.RunAsync(
            runDir,
            StageNames.SimilarItems,
            log,
            async (folder, config, context) =>
            {
                var decision = EvaluateJob.ReadDecision(folder);
                if (decision is { Publish: false })
                {
                    log.Information("Similar items skipped: the run is rejected ({Reason})", decision.Reason);
                    return new Dictionary<string, object> { ["rows"] = 0L, ["skipped"] = true };
                }
                var (snapshot, graphs, model, device) = await TrainedInputs.LoadAsync(folder, config.Config, ct);
                var info = SnapshotStore.ReadInfo(folder.SnapshotDir);
                var modelName = AutoChoice.PublishedName(folder, model.Kind);
                // the features of the published model's config: its text (when it encodes text) and attributes
                var cfg = config.Config.Model.Kind.IsAuto
                    ? ConfigModule.forModel(config.Config, modelName)
                    : config.Config;
                var catalogue = await Catalogue.ReadAsync(folder.SnapshotDir, ct);
                var (features, stats) = await FeatureBuilder.BuildAsync(
                    cfg,
                    config.TextCacheDir,
                    catalogue,
                    snapshot.ItemIds,
                    graphs.HeldOut,
                    log,
                    ct
                );
                var watch = System.Diagnostics.Stopwatch.StartNew();
                var similar = Pipeline.similarItems(config.Config, device, graphs, model, features);
                var computeSeconds = watch.Elapsed.TotalSeconds;
                // written outside the staged partition and renamed into it, so a killed attempt leaves nothing there
                var part = StagedPart(folder);
                Directory.CreateDirectory(folder.ShardTmpDir);
                var tmp = Path.Combine(folder.ShardTmpDir, $"similar-items.{Guid.NewGuid():N}.parquet");
                var rows = await SimilarItemsWriter.WriteAsync(
                    tmp,
                    similar,
                    OutputIds.Of(snapshot.ItemIds, info.ItemIdKind, "item"),
                    modelName,
                    context.RunId,
                    ct
                );
                Directory.CreateDirectory(Path.GetDirectoryName(part)!);
                File.Move(tmp, part, overwrite: true); // rename(2): the part is whole or absent
                var byKind = similar
                    .Kinds.GroupBy(k => k.Name)
                    .OrderBy(g => g.Key, StringComparer.Ordinal)
                    .ToDictionary(g => g.Key, g => (object)g.LongCount());
                log.Information(
                    "Similar items: {Rows} rows for {Items} items in {Seconds:F1} s; items by similarity kind {Kinds}",
                    rows,
                    similar.NumItems,
                    computeSeconds,
                    byKind
                );
                return new Dictionary<string, object>
                {
                    ["rows"] = rows,
                    ["items"] = similar.NumItems,
                    ["k"] = similar.K,
                    ["computeSeconds"] = computeSeconds,
                    ["itemsByKind"] = byKind,
                    ["textSource"] = stats.Source,
                };
            },
            ct
        );
        ScoringCompletion.EnqueuePublishWhenDone(new RunFolder(runDir), storage, client, log);
    }
}
