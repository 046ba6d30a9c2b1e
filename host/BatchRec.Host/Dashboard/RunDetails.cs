using BatchRec.Core;
using BatchRec.Jobs.Configuration;
using BatchRec.Jobs.Features;
using BatchRec.Jobs.Ingest;
using BatchRec.Jobs.Io;
using BatchRec.Jobs.Orchestration;
using BatchRec.Jobs.Runs;
using BatchRec.Jobs.Stages;
using BatchRec.Jobs.Store;
using Hangfire;

namespace BatchRec.Host.Dashboard;

/// <summary>One recommendation of the preview: its rank, item and title, score, and the history item it is explained by.</summary>
public sealed record PreviewRow(
    int Rank,
    string Item,
    string? Title,
    double Score,
    string? ReasonItem,
    string? ReasonTitle,
    bool ColdStart
);

/// <summary>A user's list in the preview.</summary>
public sealed record PreviewUser(string User, IReadOnlyList<PreviewRow> Rows);

/// <summary>One metric row of the candidates table: a model (or auto candidate), split, metric@K and value.</summary>
public sealed record CandidateMetric(string Model, string Role, string Split, string Metric, int K, double Value);

/// <summary>
/// Everything the run page shows, read from the run folder (and the job storage for the run's state): context, stage
/// records, training curves, every candidate's metrics, the ingest lineage, the published partitions and a preview of
/// the first users' published (or staged) recommendations with item titles.
/// </summary>
public sealed record RunDetails(
    RunContext Context,
    RunState State,
    IReadOnlyList<StageRecord> Stages,
    IReadOnlyList<StageRecord> Shards,
    TrainingCurves? Curves,
    AutoChoice? Auto,
    string? Model,
    IReadOnlyList<CandidateMetric> Metrics,
    IngestLineage? Ingest,
    IReadOnlyDictionary<string, string> Published,
    string? PreviewSource,
    IReadOnlyList<PreviewUser> Preview
)
{
    /// <summary>The run folder of <paramref name="runId"/> among the config's runs, or null.</summary>
    public static RunFolder? Find(LoadedConfig config, string runId) =>
        RunLauncher.Runs(config).FirstOrDefault(f => f.ReadContext().RunId == runId);

    public static RunDetails? Load(LoadedConfig config, JobStorage storage, string runId, int previewUsers = 3)
    {
        var folder = Find(config, runId);
        if (folder is null)
            return null;
        RunState state;
        using (var connection = storage.GetConnection())
            state = RunState.Of(connection, folder);
        var stages = folder.ReadStages();
        var shards = new List<StageRecord>();
        var context = folder.ReadContext();
        for (var i = 0; i < context.Shards; i++)
            if (folder.ReadShard(i) is { } r)
                shards.Add(r);
        var modelJson = Path.Combine(folder.ModelDir, "model.json");
        var kind = File.Exists(modelJson) ? ModelStore.ReadInfo(folder.ModelDir).Kind : null;
        var auto = AutoChoice.Read(folder);
        var model = kind is null ? null : AutoChoice.PublishedName(folder, kind);

        var metrics = new List<CandidateMetric>();
        if (auto is not null)
            foreach (var c in auto.Candidates)
                metrics.AddRange(
                    c.Metrics.Select(m => new CandidateMetric(
                        c.Kind,
                        c.Kind == auto.Chosen ? "chosen" : "candidate",
                        m.Split,
                        m.Metric,
                        m.K,
                        m.Value
                    ))
                );
        else if (File.Exists(Path.Combine(folder.EvalDir, EvaluateJob.MetricsFile)) && model is not null)
            metrics.AddRange(
                EvaluateJob
                    .ReadMetrics(folder)
                    .Select(m => new CandidateMetric(model, "published", m.Split, m.Metric, m.K, m.Value))
            );

        var published = new Dictionary<string, string>();
        var manifestPath = Path.Combine(folder.Path, "manifest.json");
        Manifest? manifest = File.Exists(manifestPath) ? Json.Read<Manifest>(manifestPath) : null;
        var ingest = IngestLineage.TryRead(folder);
        if (ingest?.QuarantineVersion is { } q)
            published["quarantine"] = q;
        if (manifest is not null)
            foreach (var (table, version) in manifest.Outputs)
                published[table] = version;

        // the preview: the published recommendations while they still exist (a table keeps its current and previous
        // versions), else what the scoring shards staged
        string? source = null;
        var preview = new List<PreviewUser>();
        var candidates = new List<string>();
        if (published.TryGetValue(Schema.Output.Recommendations, out var recVersion))
            candidates.Add(recVersion);
        candidates.Add(Path.Combine(folder.StagingDir, Schema.Output.Recommendations));
        foreach (var dir in candidates)
        {
            var part = Directory.Exists(dir)
                ? Directory.GetFiles(dir, "part-*.parquet").Order(StringComparer.Ordinal).FirstOrDefault()
                : null;
            if (part is null)
                continue;
            source = dir;
            preview = ReadPreviewAsync(folder, part, previewUsers).GetAwaiter().GetResult();
            break;
        }
        return new RunDetails(
            context,
            state,
            stages,
            shards,
            TrainingCurves.Read(folder),
            auto,
            model,
            metrics,
            ingest,
            published,
            source,
            preview
        );
    }

    /// <summary>The first <paramref name="users"/> users' rows of a recommendations part, with titles from the run's catalogue.</summary>
    private static async Task<List<PreviewUser>> ReadPreviewAsync(RunFolder folder, string part, int users)
    {
        var titles = new Dictionary<string, string>(StringComparer.Ordinal);
        if (Directory.Exists(folder.SnapshotDir))
        {
            var ids = await SnapshotStore.ReadItemIdsAsync(folder.SnapshotDir, CancellationToken.None);
            var names = await Catalogue.ReadTitlesAsync(folder.SnapshotDir, CancellationToken.None);
            for (var i = 0; i < ids.Length && i < names.Length; i++)
                if (!string.IsNullOrWhiteSpace(names[i]))
                    titles[ids[i]] = names[i]!;
        }
        string? Title(string? id) => id is not null && titles.TryGetValue(id, out var t) ? t : null;
        return
        [
            .. (await RecommendationPreview.ReadFirstUsersAsync(part, users))
                .GroupBy(r => r.UserId)
                .Select(g => new PreviewUser(
                    g.Key,
                    [
                        .. g.Select(r => new PreviewRow(
                            r.Rank,
                            r.ItemId,
                            Title(r.ItemId),
                            r.Score,
                            r.ReasonItemId,
                            Title(r.ReasonItemId),
                            r.ColdStart
                        )),
                    ]
                )),
        ];
    }
}
