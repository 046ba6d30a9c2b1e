using BatchRec.Jobs.Configuration;
using BatchRec.Jobs.Runs;
using BatchRec.Jobs.Stages;
using Hangfire;
using Serilog;

namespace BatchRec.Jobs.Orchestration;

/// <summary>What a trigger did: started <see cref="Folder"/>'s run, or found that run already going for the date.</summary>
public sealed record LaunchResult(RunFolder Folder, bool Started, string Message)
{
    public string RunId => Folder.ReadContext().RunId;
}

/// <summary>
/// Starts a run keyed by (dataset, date): creates its folder and enqueues ingest → train → evaluate → N scoring shards
/// and the similar-items job as continuations (the last of those to finish enqueues publish). Under a lock held in the job storage (so across every
/// host on the database) it first looks for a run of the same dataset and date that is still going; if there is one,
/// nothing new starts and the result says which run it is.
/// </summary>
public sealed class RunLauncher(IBackgroundJobClient client, JobStorage storage, ILogger log)
{
    private const string ActiveRunsHash = "batchrec:active-runs";

    public LaunchResult Trigger(
        LoadedConfig config,
        string date,
        string trigger,
        string fromStage = StageNames.Ingest,
        string? reuseRunId = null
    )
    {
        ArgumentNullException.ThrowIfNull(config);
        if (!DateOnly.TryParseExact(date, "yyyy-MM-dd", out _))
            throw new ArgumentException($"Run date must be YYYY-MM-DD, got '{date}'.", nameof(date));
        var first = StageNames.Chain.ToList().IndexOf(fromStage);
        if (!StageRegistry.Startable.Contains(fromStage))
            throw new ArgumentException(
                $"A run can start from {string.Join(", ", StageRegistry.Startable)}, got '{fromStage}'.",
                nameof(fromStage)
            );
        var key = $"{config.DatasetName}|{date}";
        using var connection = storage.GetConnection();
        using var launchLock = connection.AcquireDistributedLock($"batchrec:launch:{key}", TimeSpan.FromMinutes(1));
        var active = connection.GetAllEntriesFromHash(ActiveRunsHash)?.GetValueOrDefault(key);
        if (active is not null && Directory.Exists(active))
        {
            var existing = new RunFolder(active);
            var state = RunState.Of(connection, existing);
            if (state.IsActive)
            {
                var message =
                    $"run {existing.ReadContext().RunId} of {config.DatasetName} for {date} is still {state.State}; the {trigger} trigger started no other run";
                log.Warning("Duplicate trigger ignored: {Message}", message);
                return new LaunchResult(existing, false, message);
            }
        }

        RunFolder? source = null;
        if (first > 0)
        {
            source = FindSource(config, date, fromStage, reuseRunId);
            log.Information(
                "Rerun from {Stage} reuses the outputs of run {Source}",
                fromStage,
                source.ReadContext().RunId
            );
        }
        var folder = RunFolder.Create(config, date, trigger, DateTimeOffset.UtcNow);
        var shards = config.Host.Jobs.ScoreShards;
        var context = folder.ReadContext() with
        {
            Shards = shards,
            SimilarItems = config.Config.Score.SimilarItems,
            FirstStage = fromStage,
            ReusedRun = source?.ReadContext().RunId,
        };
        if (source is not null)
            CopyEarlierOutputs(source, folder, fromStage);
        folder.WriteContext(context);

        var dir = folder.Path;
        var ids = new Dictionary<string, string>();
        string? previous = null;
        // Each stage waits for the previous one to succeed; a failed stage leaves the rest awaiting (nothing published).
        // A stage of several jobs (the scoring shards) is the last one started here: the jobs after it start themselves.
        foreach (var stage in StageRegistry.Chain.Skip(first))
        {
            if (stage.Start is null)
                break;
            var started = stage.Start(client, previous, dir, shards);
            foreach (var (stageKey, id) in started)
                ids[stageKey] = id;
            if (started.Count != 1)
                break;
            previous = started[0].Id;
        }
        folder.WriteContext(folder.ReadContext() with { JobIds = ids });
        using (var tx = connection.CreateWriteTransaction())
        {
            tx.SetRangeInHash(ActiveRunsHash, [new(key, folder.Path)]);
            tx.Commit();
        }
        log.Information(
            "Run {RunId} for {Dataset} {Date} enqueued ({Trigger}, from {Stage}, {Shards} scoring shards): jobs {JobIds}",
            context.RunId,
            config.DatasetName,
            date,
            trigger,
            fromStage,
            shards,
            ids
        );
        return new LaunchResult(folder, true, $"run {context.RunId} started");
    }

    /// <summary>The runs of a config's dataset, newest first.</summary>
    public static IReadOnlyList<RunFolder> Runs(LoadedConfig config)
    {
        var root = Path.Combine(config.WorkDir, "runs");
        if (!Directory.Exists(root))
            return [];
        return Directory
            .GetDirectories(root)
            .Select(d => new RunFolder(d))
            .Where(f => File.Exists(f.RunJson))
            .Select(f => (Folder: f, Context: f.ReadContext()))
            .Where(x => x.Context.Dataset == config.DatasetName)
            .OrderByDescending(x => x.Context.CreatedUtc)
            .Select(x => x.Folder)
            .ToList();
    }

    private static RunFolder FindSource(LoadedConfig config, string date, string fromStage, string? reuseRunId)
    {
        var needed = StageRegistry.OutputsBefore(fromStage);
        bool HasOutputs(RunFolder f) =>
            needed.All(p => File.Exists(Path.Combine(f.Path, p)) || Directory.Exists(Path.Combine(f.Path, p)));
        var candidates = Runs(config)
            .Where(f => reuseRunId is null ? f.ReadContext().Date == date : f.ReadContext().RunId == reuseRunId)
            .ToList();
        return candidates.FirstOrDefault(HasOutputs)
            ?? throw new ArgumentException(
                reuseRunId is null
                    ? $"No earlier run of {config.DatasetName} for {date} has the outputs a rerun from '{fromStage}' needs ({string.Join(", ", needed)})."
                    : $"Run '{reuseRunId}' of {config.DatasetName} does not exist or lacks the outputs a rerun from '{fromStage}' needs."
            );
    }

    private static void CopyEarlierOutputs(RunFolder source, RunFolder target, string fromStage)
    {
        foreach (var rel in StageRegistry.OutputsBefore(fromStage))
        {
            var from = Path.Combine(source.Path, rel);
            var to = Path.Combine(target.Path, rel);
            if (File.Exists(from))
            {
                Directory.CreateDirectory(Path.GetDirectoryName(to)!);
                File.Copy(from, to, overwrite: true);
            }
            else
            {
                foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
                {
                    var dest = Path.Combine(to, Path.GetRelativePath(from, file));
                    Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
                    File.Copy(file, dest, overwrite: true);
                }
            }
        }
    }
}

/// <summary>
/// The recurring entry point: starts the night's run for a config, dated in the schedule's time zone. The config file is
/// loaded again at each start, with this host's environment overrides and the server's <c>--set</c> arguments.
/// </summary>
public sealed class NightlyJob(RunLauncher launcher)
{
    [JobDisplayName("nightly {0}")]
    [AutomaticRetry(Attempts = 0)]
    public string Start(string configPath) => Start(configPath, []);

    [JobDisplayName("nightly {0}")]
    [AutomaticRetry(Attempts = 0)]
    public string Start(string configPath, string[] sets)
    {
        var config = ConfigLoader.Load(configPath, sets);
        var zone = TimeZoneInfo.FindSystemTimeZoneById(config.Host.Schedule.TimeZone);
        var date = DateOnly
            .FromDateTime(TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, zone).DateTime)
            .ToString("yyyy-MM-dd");
        return launcher.Trigger(config, date, "nightly").Message; // shown as the job's result in the dashboard
    }

    /// <summary>A run for a given date (the dashboard's "trigger now" and "rerun date"), optionally from a later stage.</summary>
    [JobDisplayName("rerun {1} from {2}")]
    [AutomaticRetry(Attempts = 0)]
    public string Rerun(string configPath, string date, string fromStage, string? reuseRunId) =>
        launcher.Trigger(ConfigLoader.Load(configPath), date, "dashboard", fromStage, reuseRunId).Message;
}

/// <summary>
/// Backfill: one run per date of a range, oldest first, with at most <c>jobs.backfillConcurrency</c> of its runs going
/// at once (it waits, checking cancellation, before starting the next). Dates whose run is already going are skipped.
/// </summary>
public sealed class BackfillJob(RunLauncher launcher, JobStorage storage, ILogger log)
{
    [JobDisplayName("backfill {1} to {2}")]
    [AutomaticRetry(Attempts = 0)]
    public Task<string> RunAsync(string configPath, string from, string to, CancellationToken ct) =>
        RunAsync(configPath, from, to, [], ct);

    [JobDisplayName("backfill {1} to {2}")]
    [AutomaticRetry(Attempts = 0)]
    public async Task<string> RunAsync(string configPath, string from, string to, string[] sets, CancellationToken ct)
    {
        var config = ConfigLoader.Load(configPath, sets);
        if (
            !DateOnly.TryParseExact(from, "yyyy-MM-dd", out var start)
            || !DateOnly.TryParseExact(to, "yyyy-MM-dd", out var end)
            || end < start
        )
            throw new ArgumentException($"Backfill needs from <= to as YYYY-MM-DD, got '{from}' and '{to}'.");
        if (end.DayNumber - start.DayNumber > 366)
            throw new ArgumentException($"Backfill of more than 366 days refused ({from} to {to}).");
        var limit = config.Host.Jobs.BackfillConcurrency;
        var mine = new List<RunFolder>();
        var started = 0;
        for (var d = start; d <= end; d = d.AddDays(1))
        {
            while (true)
            {
                using (var connection = storage.GetConnection())
                    if (mine.Count(f => RunState.Of(connection, f).IsActive) < limit)
                        break;
                await Task.Delay(TimeSpan.FromSeconds(2), ct);
            }
            var result = launcher.Trigger(config, d.ToString("yyyy-MM-dd"), "backfill");
            if (result.Started)
            {
                mine.Add(result.Folder);
                started++;
            }
        }
        log.Information(
            "Backfill {From}..{To} of {Dataset}: {Started} runs started",
            from,
            to,
            config.DatasetName,
            started
        );
        return $"{started} runs started for {from}..{to}";
    }
}
