using BatchRec.Jobs.Runs;
using BatchRec.Jobs.Stages;
using Hangfire;
using Hangfire.States;

namespace BatchRec.Jobs.Orchestration;

/// <summary>How a run ended.</summary>
/// <summary>How a run ended. <see cref="ErrorType"/> and <see cref="ErrorDetails"/> (the stack trace) are set when a stage failed.</summary>
public sealed record RunOutcome(string RunId, bool Succeeded, string? FailedStage, string? Error, string? ErrorType = null, string? ErrorDetails = null)
{
    /// <summary>Failures caused by the input or the config, where a stack trace tells the user nothing.</summary>
    public bool IsInputError => ErrorType is "BatchRec.Jobs.Io.InputFormatException" or "BatchRec.Jobs.Configuration.ConfigException";
}

/// <summary>Waits for a run's chain of jobs to end: all succeeded, or one failed (the rest then never run).</summary>
public static class RunWaiter
{
    public static async Task<RunOutcome> WaitAsync(JobStorage storage, RunFolder folder, TimeSpan poll, CancellationToken ct)
    {
        var context = folder.ReadContext();
        using var connection = storage.GetConnection();
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var allDone = true;
            foreach (var stage in StageNames.Chain)
            {
                var state = connection.GetStateData(context.JobIds[stage]);
                var name = state?.Name;
                if (name == SucceededState.StateName) continue;
                if (name == FailedState.StateName)
                {
                    state!.Data.TryGetValue("ExceptionType", out var type);
                    state.Data.TryGetValue("ExceptionMessage", out var message);
                    state.Data.TryGetValue("ExceptionDetails", out var details);
                    return new RunOutcome(context.RunId, false, stage, $"{type}: {message}", type, details);
                }
                if (name == DeletedState.StateName)
                    return new RunOutcome(context.RunId, false, stage, "the job was deleted");
                allDone = false;
                break; // later stages cannot be ahead of this one
            }
            if (allDone) return new RunOutcome(context.RunId, true, null, null);
            await Task.Delay(poll, ct);
        }
    }
}
