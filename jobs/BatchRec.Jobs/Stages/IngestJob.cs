using System.Globalization;
using BatchRec.Core;
using BatchRec.Jobs.Ingest;
using BatchRec.Jobs.Io;
using BatchRec.Jobs.Publishing;
using BatchRec.Jobs.Runs;
using BatchRec.Jobs.Store;
using Hangfire;
using Serilog;

namespace BatchRec.Jobs.Stages;

/// <summary>
/// Ingests the dataset folder (see <see cref="Ingestor"/>): validates every row, quarantines bad ones, compacts new
/// partitions into the dataset's store, builds the canonical snapshot with its train/valid/test split and stores it in
/// the run folder. Publishes this run's quarantine partition, then fails before training when unreadable input, a wrong
/// schema or a partition over the bad-row ceiling is found, naming the file (and row, column or partition).
/// </summary>
[Queue("default")]
public sealed class IngestJob(ILogger log)
{
    [JobDisplayName("ingest {0}")]
    public Task RunAsync(string runDir, CancellationToken ct) =>
        Stage.RunAsync(
            runDir,
            StageNames.Ingest,
            log,
            async (folder, config, context) =>
            {
                var date = DateOnly.ParseExact(context.Date, "yyyy-MM-dd", CultureInfo.InvariantCulture);
                var scratch = Path.Combine(folder.StagingDir, "ingest-quarantine");
                var result = await Ingestor.RunAsync(config, date, scratch, ct);
                var quarantineVersion = await PublishQuarantineAsync(
                    config.OutputDir,
                    context,
                    result.QuarantineFiles,
                    ct
                );
                var lineage = result.Lineage with { QuarantineVersion = quarantineVersion };
                Json.WriteAtomic(IngestLineage.PathIn(folder), lineage);
                PipelineMetrics.Ingested(config.DatasetName, lineage); // a run failing the bad-row ceiling counts too
                if (Directory.Exists(scratch))
                    Directory.Delete(scratch, recursive: true);

                foreach (var p in lineage.Partitions)
                {
                    log.Information(
                        "Partition {Partition}: {Read} rows read, {Kept} kept, {Deduplicated} duplicates, {Quarantined} quarantined ({Reasons}){Reused}",
                        PartitionStore.FolderName(p.Stats.Partition),
                        p.Stats.Read,
                        p.Stats.Kept,
                        p.Stats.Deduplicated,
                        p.Stats.QuarantinedTotal + p.ItemUnknown,
                        Ingestor.Reasons(p.Stats.Quarantined),
                        p.Reused ? " (unchanged; stored compaction reused)" : ""
                    );
                    foreach (var (file, columns) in p.Stats.ExtraColumns)
                        log.Information("Ignored columns of {File}: {Columns}", file, string.Join(", ", columns));
                }
                var ingestRules = config.Config.Ingest;
                if (lineage.NegativeWeights > 0)
                    log.Warning(
                        "{Rows} interactions have a negative weight: {Rule} (ingest.negativeWeights = {Setting})",
                        lineage.NegativeWeights,
                        ingestRules.NegativeWeights.IsQuarantine
                            ? "quarantined as weight_negative"
                            : "kept as positive interactions",
                        ingestRules.NegativeWeights
                    );
                if (lineage.ZeroWeights > 0)
                    log.Warning(
                        "{Rows} interactions have a zero weight: {Rule} (ingest.zeroWeights = {Setting})",
                        lineage.ZeroWeights,
                        ingestRules.ZeroWeights.IsQuarantine
                            ? "quarantined as weight_zero"
                            : "kept as positive interactions",
                        ingestRules.ZeroWeights
                    );
                if (lineage.DuplicateItems > 0)
                    log.Warning(
                        "{Rows} of {Total} items-table rows repeat an earlier row's item_id; the first row of each id is kept, the others are ignored (ingest.duplicateItems = first)",
                        lineage.DuplicateItems,
                        lineage.ItemsTableRows
                    );
                if (lineage.CeilingViolations.Count > 0)
                    throw new InputFormatException(
                        $"Too many bad rows; nothing is trained or published. {string.Join("; ", lineage.CeilingViolations)}. The bad rows are in {quarantineVersion}."
                    );

                var info = result.Info!;
                await SnapshotStore.WriteAsync(folder.SnapshotDir, result.Snapshot!, info, ct);
                await result.Catalogue!.WriteAsync(folder.SnapshotDir, ct);
                var cold = info.Items - result.Snapshot!.Interactions.Items.Distinct().Count();
                if (cold > 0)
                    log.Information("{Cold} catalogue items have no interactions yet (cold start)", cold);
                log.Information(
                    "Ingested {Read} interactions: {Kept} kept, {Deduplicated} duplicates, {Quarantined} quarantined; {Users} users, {Items} items; split {Train}/{Valid}/{Test}",
                    lineage.Read,
                    lineage.Kept,
                    lineage.Deduplicated,
                    lineage.Quarantined,
                    info.Users,
                    info.Items,
                    info.Train,
                    info.Valid,
                    info.Test
                );
                return new Dictionary<string, object>
                {
                    ["files"] = info.Inputs.Count,
                    ["interactions"] = info.InteractionsRead,
                    ["kept"] = lineage.Kept,
                    ["deduplicated"] = lineage.Deduplicated,
                    ["quarantined"] = lineage.Quarantined,
                    ["users"] = info.Users,
                    ["items"] = info.Items,
                    ["negativeWeights"] = lineage.NegativeWeights,
                    ["zeroWeights"] = lineage.ZeroWeights,
                    ["duplicateItems"] = lineage.DuplicateItems,
                    ["train"] = info.Train,
                    ["valid"] = info.Valid,
                    ["test"] = info.Test,
                };
            },
            ct
        );

    /// <summary>
    /// Publishes <c>quarantine/dt=D</c> like the other tables (an immutable version folder with <c>_SUCCESS</c>, one link
    /// swapped by rename): the partitions' quarantine files, or one empty file when no row was bad. Returns the version folder.
    /// </summary>
    private static async Task<string> PublishQuarantineAsync(
        string outputDir,
        RunContext context,
        IReadOnlyList<(string Name, string Path)> files,
        CancellationToken ct
    )
    {
        var table = Path.Combine(outputDir, Schema.Quarantine.Table);
        var staged = Path.Combine(table, ".staging", context.RunId);
        if (Directory.Exists(staged))
            Directory.Delete(staged, recursive: true);
        Directory.CreateDirectory(staged);
        foreach (var (name, path) in files)
            File.Copy(path, Path.Combine(staged, name));
        if (files.Count == 0)
        {
            await using var empty = await QuarantineWriter.CreateAsync(Path.Combine(staged, "part-00000.parquet"), ct);
            await empty.CompleteAsync();
        }
        return Publisher.PublishPartition(table, context.Date, staged, context.RunId);
    }
}
