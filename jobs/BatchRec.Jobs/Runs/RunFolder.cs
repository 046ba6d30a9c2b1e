using BatchRec.Jobs.Configuration;

namespace BatchRec.Jobs.Runs;

/// <summary>
/// The working folder of one run (<c>&lt;work&gt;/runs/&lt;runId&gt;/</c>): every stage reads its inputs from and writes its
/// outputs to here, so stages are separate Hangfire jobs that can be retried or run by another worker.
/// Nothing here is visible to consumers; PublishJob moves the results into the output root.
/// </summary>
public sealed class RunFolder
{
    public RunFolder(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
    }

    public string Path { get; }
    public string RunJson => Combine("run.json");

    /// <summary>The config as it was when the run was triggered: later edits do not change a running run.</summary>
    public string ConfigJson => Combine("config.json");
    public string SnapshotDir => Combine("snapshot");
    public string ModelDir => Combine("model");
    public string EvalDir => Combine("eval");
    public string StagingDir => Combine("staging");
    public string StagesDir => Combine("stages");

    /// <summary>One record per scoring shard (<c>NNNNN.json</c>) and one marker per attempt (<c>NNNNN.attempt-HOST-PID</c>).</summary>
    public string ShardsDir => Combine("stages", "shards");

    /// <summary>Where a shard writes its part before renaming it into the staging folder (a killed attempt leaves its file here).</summary>
    public string ShardTmpDir => Combine("shard-tmp");

    /// <summary>The evaluate stage's champion/challenger decision.</summary>
    public string DecisionJson => Combine("eval", "decision.json");

    /// <summary>How the run ended: published or rejected (written by the publish stage).</summary>
    public string OutcomeJson => Combine("outcome.json");

    /// <summary>The id of the publish job, written by the score stage's job that found the stage done.</summary>
    public string PublishJobIdFile => Combine("publish.jobid");

    private string Combine(params string[] names) => System.IO.Path.Combine([Path, .. names]);

    public static string ShardName(int shard) =>
        shard.ToString("D5", System.Globalization.CultureInfo.InvariantCulture);

    public void WriteShard(int shard, StageRecord record) =>
        Json.WriteAtomic(System.IO.Path.Combine(ShardsDir, ShardName(shard) + ".json"), record);

    public StageRecord? ReadShard(int shard)
    {
        var p = System.IO.Path.Combine(ShardsDir, ShardName(shard) + ".json");
        return File.Exists(p) ? Json.Read<StageRecord>(p) : null;
    }

    public string? ReadPublishJobId() =>
        File.Exists(PublishJobIdFile) ? File.ReadAllText(PublishJobIdFile).Trim() : null;

    public RunContext ReadContext() => Json.Read<RunContext>(RunJson);

    public void WriteContext(RunContext context) => Json.WriteAtomic(RunJson, context);

    /// <summary>The run's own copy of the config, paths resolved against the original file's folder.</summary>
    public LoadedConfig LoadConfig()
    {
        var ctx = ReadContext();
        return ConfigLoader.FromJson(File.ReadAllText(ConfigJson), ctx.ConfigFile);
    }

    public void WriteStage(StageRecord record) =>
        Json.WriteAtomic(System.IO.Path.Combine(StagesDir, record.Stage + ".json"), record);

    public IReadOnlyList<StageRecord> ReadStages() =>
        Directory.Exists(StagesDir)
            ? Directory
                .GetFiles(StagesDir, "*.json")
                .Order(StringComparer.Ordinal)
                .Select(Json.Read<StageRecord>)
                .ToList()
            : [];

    /// <summary>Creates the folder for a new run with its context and a copy of the config.</summary>
    public static RunFolder Create(LoadedConfig config, string date, string trigger, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(config);
        var runId = $"{config.DatasetName}-{date}-{now:yyyyMMdd'T'HHmmss'Z'}-{Guid.NewGuid().ToString("N")[..6]}";
        var folder = new RunFolder(System.IO.Path.Combine(config.WorkDir, "runs", runId));
        Directory.CreateDirectory(folder.Path);
        File.WriteAllText(folder.ConfigJson, config.Json);
        folder.WriteContext(new RunContext(runId, config.DatasetName, date, now, trigger, config.FilePath));
        return folder;
    }
}
