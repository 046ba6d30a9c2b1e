using BatchRec.Core;
using BatchRec.Jobs.Runs;
using BatchRec.Jobs.Stages;
using Hangfire.Common;
using Hangfire.States;
using Serilog;

namespace BatchRec.Jobs.Orchestration;

/// <summary>
/// Applies each stage's policy from the run's own config (<c>jobs.stages.&lt;stage&gt;</c>, default <c>jobs.retries</c>):
/// an enqueued stage job goes to the stage's queue (so a train job lands on a host listening to <c>gpu</c>), and a
/// failed attempt is rescheduled after <c>backoffSeconds × 2^(attempt−1)</c> until the attempts are used up; then it
/// stays failed and the rest of the chain never runs. Works as Hangfire's AutomaticRetry and Queue attributes do, but
/// with the values taken from the run instead of compiled in.
/// </summary>
public sealed class StagePolicyFilter(ILogger log) : JobFilterAttribute, IElectStateFilter
{
    private const string RetryCountParameter = "RetryCount";

    /// <summary>The stage a BatchRec job belongs to, or null for other jobs.</summary>
    public static string? StageOf(Type type) => StageRegistry.Of(type)?.Name;

    public void OnStateElection(ElectStateContext context)
    {
        var job = context.BackgroundJob?.Job;
        if (
            job is null
            || StageOf(job.Type) is not { } stage
            || job.Args.Count == 0
            || job.Args[0] is not string runDir
        )
            return;
        int attempts,
            backoff;
        string queue;
        try
        {
            (attempts, backoff, queue) = new RunFolder(runDir).LoadConfig().Host.StagePolicy(stage);
        }
        catch (Exception e)
            when (e
                    is IOException
                        or UnauthorizedAccessException
                        or Configuration.ConfigException
                        or System.Text.Json.JsonException
            )
        {
            log.Warning(
                "Stage policy of job {JobId} unavailable ({Error}); Hangfire's state stands",
                context.BackgroundJob!.Id,
                e.Message
            );
            return;
        }
        switch (context.CandidateState)
        {
            case EnqueuedState enqueued when enqueued.Queue != queue:
                enqueued.Queue = queue;
                break;
            case FailedState failed when failed.Exception is not OperationCanceledException || attempts > 0:
                var attempt = context.GetJobParameter<int>(RetryCountParameter, allowStale: true) + 1;
                if (attempt > attempts)
                    return;
                context.SetJobParameter(RetryCountParameter, attempt);
                var delay = TimeSpan.FromSeconds(backoff * Math.Pow(2, attempt - 1));
                context.CandidateState = new ScheduledState(delay)
                {
                    Reason =
                        $"Retry attempt {attempt} of {attempts} in {delay.TotalSeconds:F0} s: {failed.Exception.GetType().Name}: {failed.Exception.Message}",
                };
                log.Warning(
                    "Stage {Stage} job {JobId} failed ({Error}); retry {Attempt} of {Attempts} in {Delay} s",
                    stage,
                    context.BackgroundJob!.Id,
                    failed.Exception.Message,
                    attempt,
                    attempts,
                    delay.TotalSeconds
                );
                break;
        }
    }
}
