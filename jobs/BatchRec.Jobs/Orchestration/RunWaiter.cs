using BatchRec.Jobs.Runs;
using Hangfire;

namespace BatchRec.Jobs.Orchestration;

/// <summary>How a run ended. <see cref="ErrorType"/> and <see cref="ErrorDetails"/> (the stack trace) are set when a stage failed.</summary>
public sealed record RunOutcome(
    string RunId,
    bool Succeeded,
    string? FailedStage,
    string? Error,
    string? ErrorType = null,
    string? ErrorDetails = null
)
{
    /// <summary>published, rejected (champion/challenger or publish gate: nothing published, the previous outputs stay) or failed.</summary>
    public string State { get; init; } = "";

    /// <summary>Why a finished run was published or rejected (its outcome.json's reason).</summary>
    public string? Reason { get; init; }

    /// <summary>Failures caused by the input or the config, where a stack trace tells the user nothing.</summary>
    public bool IsInputError =>
        ErrorType is "BatchRec.Jobs.Io.InputFormatException" or "BatchRec.Jobs.Configuration.ConfigException";
}

/// <summary>Waits for a run's jobs to end: published or rejected, or a stage failed (the rest then never run).</summary>
public static class RunWaiter
{
    public static async Task<RunOutcome> WaitAsync(
        JobStorage storage,
        RunFolder folder,
        TimeSpan poll,
        CancellationToken ct
    )
    {
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentNullException.ThrowIfNull(folder);
        var runId = folder.ReadContext().RunId;
        using var connection = storage.GetConnection();
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var state = RunState.Of(connection, folder);
            switch (state.State)
            {
                case RunState.Published or RunState.Rejected:
                    return new RunOutcome(runId, true, null, null) { State = state.State, Reason = state.Reason };
                case RunState.Failed:
                    return new RunOutcome(
                        runId,
                        false,
                        state.FailedStage,
                        state.Error,
                        state.ErrorType,
                        state.ErrorDetails
                    )
                    {
                        State = state.State,
                    };
            }
            await Task.Delay(poll, ct);
        }
    }
}
