using BatchRec.Jobs.Runs;
using Hangfire;
using Serilog;

namespace BatchRec.Jobs.Stages;

/// <summary>The end of the score stage: its jobs (the shards and, when score.similarItems is on, the similar-items
/// job) each call this when they finish, and the one that finds them all done enqueues publish.</summary>
public static class ScoringCompletion
{
    /// <summary>Whether every job of the score stage has recorded its result: every shard, and the similar-items job
    /// when the run has one (<see cref="RunContext.SimilarItems"/>).</summary>
    public static bool Done(RunFolder folder, RunContext context)
    {
        for (var i = 0; i < context.Shards; i++)
            if (folder.ReadShard(i) is null)
                return false;
        return context.SimilarItems == 0
            || File.Exists(Path.Combine(folder.StagesDir, StageNames.SimilarItems + ".json"));
    }

    /// <summary>
    /// Under a storage-wide lock (held across processes), the job that sees every record of the stage enqueues the
    /// publish job once and records its id in the run folder.
    /// </summary>
    public static void EnqueuePublishWhenDone(
        RunFolder folder,
        JobStorage storage,
        IBackgroundJobClient client,
        ILogger log
    )
    {
        var context = folder.ReadContext();
        using var connection = storage.GetConnection();
        using var publishLock = connection.AcquireDistributedLock(
            $"batchrec:publish:{context.RunId}",
            TimeSpan.FromMinutes(1)
        );
        if (folder.ReadPublishJobId() is not null || !Done(folder, context))
            return;
        var dir = folder.Path;
        var id = client.Enqueue<PublishJob>(j => j.RunAsync(dir, CancellationToken.None));
        File.WriteAllText(folder.PublishJobIdFile + ".tmp", id);
        File.Move(folder.PublishJobIdFile + ".tmp", folder.PublishJobIdFile, overwrite: true);
        log.Information(
            "Every job of the score stage of run {RunId} is done ({Shards} shards{Similar}); publish job {JobId} enqueued",
            context.RunId,
            context.Shards,
            context.SimilarItems > 0 ? ", similar items" : "",
            id
        );
    }
}
