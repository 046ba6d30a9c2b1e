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

    private string Combine(string name) => System.IO.Path.Combine(Path, name);

    public RunContext ReadContext() => Json.Read<RunContext>(RunJson);
    public void WriteContext(RunContext context) => Json.WriteAtomic(RunJson, context);

    /// <summary>The run's own copy of the config, paths resolved against the original file's folder.</summary>
    public LoadedConfig LoadConfig()
    {
        var ctx = ReadContext();
        return ConfigLoader.FromJson(File.ReadAllText(ConfigJson), ctx.ConfigFile);
    }

    public void WriteStage(StageRecord record) => Json.WriteAtomic(System.IO.Path.Combine(StagesDir, record.Stage + ".json"), record);

    public IReadOnlyList<StageRecord> ReadStages() =>
        Directory.Exists(StagesDir)
            ? Directory.GetFiles(StagesDir, "*.json").Order(StringComparer.Ordinal).Select(Json.Read<StageRecord>).ToList()
            : [];

    /// <summary>Creates the folder for a new run with its context and a copy of the config.</summary>
    public static RunFolder Create(LoadedConfig config, string date, string trigger, DateTimeOffset now)
    {
        var runId = $"{config.DatasetName}-{date}-{now:yyyyMMdd'T'HHmmss'Z'}-{Guid.NewGuid().ToString("N")[..6]}";
        var folder = new RunFolder(System.IO.Path.Combine(config.WorkDir, "runs", runId));
        Directory.CreateDirectory(folder.Path);
        File.WriteAllText(folder.ConfigJson, config.Json);
        folder.WriteContext(new RunContext(runId, config.DatasetName, date, now, trigger, config.FilePath));
        return folder;
    }
}
