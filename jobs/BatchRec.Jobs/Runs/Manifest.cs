using System.Reflection;
using System.Text.Json;
using BatchRec.Jobs.Configuration;
using BatchRec.Jobs.Stages;
using BatchRec.Jobs.Store;

namespace BatchRec.Jobs.Runs;

/// <summary>
/// The run manifest: what went in, what came out, how long each stage took and how good the model is.
/// <c>Config</c> is the file as written (overrides only); <c>EffectiveConfig</c> is every setting the run used;
/// <c>Auto</c>, for model.kind auto, every candidate's figures and the one chosen.
/// </summary>
public sealed record Manifest(
    string RunId,
    string Dataset,
    string Date,
    string Trigger,
    DateTimeOffset CreatedUtc,
    DateTimeOffset PublishedUtc,
    string CodeVersion,
    string ConfigFile,
    string ConfigSha256,
    JsonElement Config,
    Core.Config EffectiveConfig,
    string InputDir,
    IReadOnlyList<Io.InputFileInfo> Inputs,
    Dictionary<string, long> Rows,
    Dictionary<string, double> StageSeconds,
    ModelStore.ModelInfo Model,
    IReadOnlyList<Core.MetricRecord> Metrics,
    Dictionary<string, string> Outputs,
    Ingest.IngestLineage? Ingest,
    AutoChoice? Auto = null
)
{
    public static Manifest Build(
        RunFolder folder,
        LoadedConfig config,
        RunContext context,
        DateTimeOffset now,
        Dictionary<string, string> outputs
    )
    {
        var snapshot = SnapshotStore.ReadInfo(folder.SnapshotDir);
        var stages = folder.ReadStages();
        var scoreRows = stages.FirstOrDefault(s => s.Stage == StageNames.Score)?.Details.GetValueOrDefault("rows");
        var rows = new Dictionary<string, long>
        {
            ["interactionsRead"] = snapshot.InteractionsRead,
            ["users"] = snapshot.Users,
            ["items"] = snapshot.Items,
            ["catalogueItems"] = snapshot.CatalogueItems,
            ["userProfiles"] = snapshot.UserProfiles,
            ["train"] = snapshot.Train,
            ["valid"] = snapshot.Valid,
            ["test"] = snapshot.Test,
            ["recommendations"] = scoreRows is JsonElement e ? e.GetInt64() : Convert.ToInt64(scoreRows ?? 0L),
        };
        var ingest = BatchRec.Jobs.Ingest.IngestLineage.TryRead(folder);
        if (ingest is not null)
        {
            rows["interactionsKept"] = ingest.Kept;
            rows["interactionsDeduplicated"] = ingest.Deduplicated;
            rows["interactionsQuarantined"] = ingest.Quarantined;
            rows["interactionsNegativeWeight"] = ingest.NegativeWeights;
            rows["interactionsZeroWeight"] = ingest.ZeroWeights;
            rows["itemsTableRows"] = ingest.ItemsTableRows;
            rows["itemsDuplicated"] = ingest.DuplicateItems;
        }
        using var doc = JsonDocument.Parse(
            config.Json,
            new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }
        );
        var version = typeof(Manifest)
            .Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()
            ?.InformationalVersion
            ?? "unknown";
        return new Manifest(
            context.RunId,
            context.Dataset,
            context.Date,
            context.Trigger,
            context.CreatedUtc,
            now,
            version,
            config.FilePath,
            config.Sha256,
            doc.RootElement.Clone(),
            config.Config,
            config.InputDir,
            snapshot.Inputs,
            rows,
            stages.ToDictionary(s => s.Stage, s => s.Seconds),
            ModelStore.ReadInfo(folder.ModelDir),
            EvaluateJob.ReadMetrics(folder),
            outputs,
            ingest,
            AutoChoice.Read(folder)
        );
    }
}
