using BatchRec.Jobs.Configuration;
using BatchRec.Jobs.Runs;
using BatchRec.Jobs.Stages;
using Hangfire;
using Serilog;

namespace BatchRec.Jobs.Orchestration;

/// <summary>Starts a run: creates its folder and enqueues ingest → train → evaluate → score → publish as continuations.</summary>
public sealed class RunLauncher(IBackgroundJobClient client, ILogger log)
{
    public RunFolder Trigger(LoadedConfig config, string date, string trigger)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (!DateOnly.TryParseExact(date, "yyyy-MM-dd", out _))
            throw new ArgumentException($"Run date must be YYYY-MM-DD, got '{date}'.", nameof(date));
        var folder = RunFolder.Create(config, date, trigger, DateTimeOffset.UtcNow);
        var dir = folder.Path;
        var ids = new Dictionary<string, string>();
        // Each stage waits for the previous one to succeed; a failed stage leaves the rest awaiting (nothing published).
        ids[StageNames.Ingest] = client.Enqueue<IngestJob>(j => j.RunAsync(dir, CancellationToken.None));
        ids[StageNames.Train] = client.ContinueJobWith<TrainJob>(ids[StageNames.Ingest], j => j.RunAsync(dir, CancellationToken.None));
        ids[StageNames.Evaluate] = client.ContinueJobWith<EvaluateJob>(ids[StageNames.Train], j => j.RunAsync(dir, CancellationToken.None));
        ids[StageNames.Score] = client.ContinueJobWith<ScoreJob>(ids[StageNames.Evaluate], j => j.RunAsync(dir, CancellationToken.None));
        ids[StageNames.Publish] = client.ContinueJobWith<PublishJob>(ids[StageNames.Score], j => j.RunAsync(dir, CancellationToken.None));
        var context = folder.ReadContext();
        folder.WriteContext(context with { JobIds = ids });
        log.Information("Run {RunId} for {Dataset} {Date} enqueued ({Trigger}): jobs {JobIds}", context.RunId, config.DatasetName, date, trigger, ids);
        return folder;
    }
}

/// <summary>The recurring entry point: starts the night's run for a config, dated in the schedule's time zone.</summary>
public sealed class NightlyJob(RunLauncher launcher)
{
    [JobDisplayName("nightly {0}")]
    [AutomaticRetry(Attempts = 0)]
    public string Start(string configPath)
    {
        var config = ConfigLoader.Load(configPath);
        var zone = TimeZoneInfo.FindSystemTimeZoneById(config.Config.Schedule.TimeZone);
        var date = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, zone).DateTime).ToString("yyyy-MM-dd");
        return launcher.Trigger(config, date, "nightly").ReadContext().RunId;
    }
}
