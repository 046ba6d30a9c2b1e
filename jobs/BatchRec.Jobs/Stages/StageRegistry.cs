using Hangfire;

namespace BatchRec.Jobs.Stages;

/// <summary>
/// Starts a stage's jobs for a run: after the job <c>after</c> succeeds (null: at once), with the run's shard count;
/// returns each job's key in the run's job ids (the stage name, or STAGE/SHARD) with its Hangfire id.
/// </summary>
public delegate IReadOnlyList<(string Key, string Id)> StartStage(
    IBackgroundJobClient client,
    string? after,
    string runDir,
    int shards
);

/// <summary>
/// One stage of the chain: its name (logs, <c>jobs.stages.NAME</c>, the run's job ids), its Hangfire job class, what
/// it leaves in the run folder for the stages after it (copied when a rerun starts after it), and how its jobs start
/// (null: a job of the stage before starts it, as the last job of the score stage starts publish), and the other job
/// classes it runs (the score stage's similar-items job: its policies are the stage's).
/// </summary>
public sealed record StageInfo(
    string Name,
    Type JobType,
    IReadOnlyList<string> Outputs,
    StartStage? Start,
    IReadOnlyList<Type>? OtherJobTypes = null
)
{
    /// <summary>Every job class of the stage.</summary>
    public IEnumerable<Type> JobTypes => [JobType, .. OtherJobTypes ?? []];
}

/// <summary>
/// The stages, in chain order: the one place that lists them. To add a stage: its job class (a file of its own, using
/// <see cref="Stage.RunAsync"/>), its name in <see cref="StageNames"/> and its row here; the launcher, the stage
/// policies, the run state and the dashboard's rerun form follow from this table (README, "Changing the code").
/// </summary>
public static class StageRegistry
{
    /// <summary>One job per run, after the job before it; <paramref name="run"/> gives the call for a run folder.</summary>
    private static StartStage After<T>(
        string name,
        Func<string, System.Linq.Expressions.Expression<Func<T, Task>>> run
    ) =>
        (client, after, dir, _) =>
            [(name, after is null ? client.Enqueue(run(dir)) : client.ContinueJobWith(after, run(dir)))];

    public static readonly IReadOnlyList<StageInfo> Chain =
    [
        new(
            StageNames.Ingest,
            typeof(IngestJob),
            // ingest.json: the ingest lineage the manifest carries
            ["snapshot", "ingest.json", "stages/ingest.json"],
            After<IngestJob>(StageNames.Ingest, dir => j => j.RunAsync(dir, CancellationToken.None))
        ),
        new(
            StageNames.Train,
            typeof(TrainJob),
            ["model", "stages/train.json"],
            After<TrainJob>(StageNames.Train, dir => j => j.RunAsync(dir, CancellationToken.None))
        ),
        new(
            StageNames.Evaluate,
            typeof(EvaluateJob),
            ["eval", "stages/evaluate.json"],
            After<EvaluateJob>(StageNames.Evaluate, dir => j => j.RunAsync(dir, CancellationToken.None))
        ),
        new(
            StageNames.Score,
            typeof(ScoreShardJob),
            [],
            (client, after, dir, shards) =>
                [
                    .. Enumerable
                        .Range(0, shards)
                        .Select(shard =>
                            (
                                $"{StageNames.Score}/{shard}",
                                after is null
                                    ? client.Enqueue<ScoreShardJob>(j =>
                                        j.RunAsync(dir, shard, shards, CancellationToken.None)
                                    )
                                    : client.ContinueJobWith<ScoreShardJob>(after, j =>
                                        j.RunAsync(dir, shard, shards, CancellationToken.None)
                                    )
                            )
                        ),
                    .. SimilarItemsOn(dir)
                        ?
                        [
                            (
                                $"{StageNames.Score}/{StageNames.SimilarItems}",
                                after is null
                                    ? client.Enqueue<SimilarItemsJob>(j => j.RunAsync(dir, CancellationToken.None))
                                    : client.ContinueJobWith<SimilarItemsJob>(after, j =>
                                        j.RunAsync(dir, CancellationToken.None)
                                    )
                            ),
                        ]
                        : Array.Empty<(string, string)>(),
                ],
            [typeof(SimilarItemsJob)]
        ),
        new(StageNames.Publish, typeof(PublishJob), [], Start: null),
    ];

    /// <summary>Whether the run in <paramref name="dir"/> writes the similar_items table (fixed at its launch).</summary>
    private static bool SimilarItemsOn(string dir) => new Runs.RunFolder(dir).ReadContext().SimilarItems > 0;

    /// <summary>The stage a BatchRec job class runs, or null for other jobs.</summary>
    public static StageInfo? Of(Type jobType) => Chain.FirstOrDefault(s => s.JobTypes.Contains(jobType));

    /// <summary>The stage named <paramref name="name"/>, or null.</summary>
    public static StageInfo? Named(string name) => Chain.FirstOrDefault(s => s.Name == name);

    /// <summary>The stages a run can start from (a rerun reuses the outputs of the stages before it).</summary>
    public static IReadOnlyList<string> Startable => [.. Chain.Where(s => s.Start is not null).Select(s => s.Name)];

    /// <summary>What the stages before <paramref name="name"/> leave in the run folder.</summary>
    public static IReadOnlyList<string> OutputsBefore(string name) =>
        [.. Chain.TakeWhile(s => s.Name != name).SelectMany(s => s.Outputs)];
}
