using BatchRec.Jobs.Runs;
using BatchRec.Jobs.Stages;
using Hangfire.Storage;

namespace BatchRec.Jobs.Orchestration;

/// <summary>
/// Where a run stands, from its folder (outcome) and its jobs' states in the job storage. <see cref="Error"/> says in
/// words why a stage failed (the exception's message; its type is <see cref="ErrorType"/>, its stack trace
/// <see cref="ErrorDetails"/>); <see cref="Reason"/> why a finished run was published or rejected.
/// </summary>
public sealed record RunState(
    string State,
    string? FailedStage = null,
    string? Error = null,
    string? ErrorType = null,
    string? ErrorDetails = null,
    string? Reason = null
)
{
    public const string Published = "published",
        Rejected = "rejected",
        Failed = "failed",
        Running = "running",
        Waiting = "waiting";

    /// <summary>Still going: a new trigger for the same dataset and date must not start another run.</summary>
    public bool IsActive => State is Running or Waiting;

    public static RunState Of(IStorageConnection connection, RunFolder folder)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(folder);
        if (File.Exists(folder.OutcomeJson))
        {
            var outcome = Json.Read<RunOutcomeRecord>(folder.OutcomeJson);
            return new RunState(outcome.State, Reason: outcome.Reason);
        }
        var context = folder.ReadContext();
        var jobs = new List<(string Stage, string? Id)>();
        foreach (var stage in StageRegistry.Chain.Select(s => s.Name))
        {
            if (context.JobIds.TryGetValue(stage, out var id))
                jobs.Add((stage, id));
            else if (stage == StageNames.Publish) // started by the score stage's last job, which records its id in the folder
                jobs.Add((stage, folder.ReadPublishJobId()));
            // a stage of several jobs: STAGE/0, STAGE/1, … (the scoring shards) and STAGE/NAME (the similar-items job)
            foreach (var (key, jobId) in context.JobIds.OrderBy(x => x.Key, StringComparer.Ordinal))
                if (key.StartsWith(stage + "/", StringComparison.Ordinal))
                    jobs.Add((stage, jobId));
        }
        var running = false;
        foreach (var (stage, id) in jobs)
        {
            if (id is null)
                continue; // not created yet (publish before every shard is done; jobs being enqueued)
            var state = connection.GetStateData(id);
            if (state is null) // expired from the storage (deleted jobs expire after a day): the run cannot go on
                return new RunState(Failed, stage, $"job {id} is no longer in the job storage (deleted or expired)");
            switch (state.Name)
            {
                case "Failed":
                    state.Data.TryGetValue("ExceptionType", out var type);
                    state.Data.TryGetValue("ExceptionMessage", out var message);
                    state.Data.TryGetValue("ExceptionDetails", out var details);
                    return new RunState(Failed, stage, message, type, details);
                case "Deleted":
                    return new RunState(Failed, stage, "the job was deleted");
                case "Processing":
                    running = true;
                    break;
            }
        }
        return new RunState(running ? Running : Waiting);
    }
}
