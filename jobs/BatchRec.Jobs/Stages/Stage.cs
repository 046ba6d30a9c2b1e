using System.Diagnostics;
using BatchRec.Jobs.Configuration;
using BatchRec.Jobs.Runs;
using Serilog;
using Serilog.Context;

namespace BatchRec.Jobs.Stages;

/// <summary>The stage names; their order and jobs are in <see cref="StageRegistry"/>.</summary>
public static class StageNames
{
    public const string Ingest = "ingest";
    public const string Train = "train";
    public const string Evaluate = "evaluate";
    public const string Score = "score";
    public const string Publish = "publish";

    /// <summary>The score stage's item-to-item job (<see cref="SimilarItemsJob"/>): its record's and logs' name.</summary>
    public const string SimilarItems = "similar-items";

    /// <summary>The names in chain order (<see cref="StageRegistry.Chain"/>).</summary>
    public static readonly IReadOnlyList<string> Chain = [.. StageRegistry.Chain.Select(s => s.Name)];
}

/// <summary>
/// Runs one stage body with the run's context: logging scope, timing, and the stage record (with the process's peak
/// RSS on Linux: during the stage, <c>peakRssMiB</c>, when ProcessMemory.StageWindows is set, else since the process
/// started, <c>processPeakRssMiB</c>). Every attempt is measured (<see cref="PipelineMetrics.StageFinished"/>): its
/// duration with outcome succeeded or failed, and a body that throws is counted as a failure, then rethrown.
/// </summary>
public static class Stage
{
    public delegate Task<Dictionary<string, object>> Body(RunFolder folder, LoadedConfig config, RunContext context);

    /// <summary>Runs <paramref name="body"/>; its record goes to <c>stages/&lt;stage&gt;.json</c>, or for a scoring shard (<paramref name="recordShard"/>) to <c>stages/shards/NNNNN.json</c>.</summary>
    public static async Task RunAsync(
        string runDir,
        string stage,
        ILogger log,
        Body body,
        CancellationToken ct,
        int? recordShard = null
    )
    {
        ct.ThrowIfCancellationRequested();
        var folder = new RunFolder(runDir);
        var context = folder.ReadContext();
        using var runProp = LogContext.PushProperty("RunId", context.RunId);
        using var stageProp = LogContext.PushProperty("Stage", stage);
        var config = folder.LoadConfig();
        var started = DateTimeOffset.UtcNow;
        // per-stage peak RSS when the harness asks for it (process-wide: shards running beside it count too);
        // otherwise the process's peak so far
        var peakWindow = ProcessMemory.StageWindows && ProcessMemory.ResetPeak();
        var sw = Stopwatch.StartNew();
        log.Information("Stage {Stage} of run {RunId} started", stage, context.RunId);
        Dictionary<string, object> details;
        try
        {
            details = await body(folder, config, context);
        }
        catch (Exception e)
        {
            PipelineMetrics.StageFinished(config.DatasetName, stage, sw.Elapsed, e);
            throw;
        }
        sw.Stop();
        PipelineMetrics.StageFinished(config.DatasetName, stage, sw.Elapsed, null);
        if (ProcessMemory.PeakBytes() is { } peak)
            details[peakWindow ? "peakRssMiB" : "processPeakRssMiB"] = Math.Round(peak / 1048576.0, 1);
        var record = new StageRecord(stage, started, DateTimeOffset.UtcNow, sw.Elapsed.TotalSeconds, details);
        if (recordShard is { } shard)
            folder.WriteShard(shard, record);
        else
            folder.WriteStage(record);
        log.Information(
            "Stage {Stage} of run {RunId} finished in {Seconds:F2} s",
            stage,
            context.RunId,
            sw.Elapsed.TotalSeconds
        );
    }
}
