using BatchRec.Core;
using BatchRec.Jobs.Io;
using BatchRec.Jobs.Runs;
using BatchRec.Jobs.Store;
using Hangfire;
using Serilog;

namespace BatchRec.Jobs.Stages;

/// <summary>
/// One scoring shard: top-K for the users [shard·⌈U/N⌉, …) over the items each has not interacted with, chunk by
/// chunk (never users × items). The part is written to a temporary file outside the staged partition, then renamed to
/// <c>staging/recommendations/part-NNNNN.parquet</c>, so a retried or re-queued shard replaces its own part and a
/// killed attempt leaves nothing in the partition. The job of the stage that finds them all done (the shards and the
/// similar-items job) enqueues the publish job (<see cref="ScoringCompletion"/>).
/// Nothing here is visible to consumers until publish.
/// </summary>
public sealed class ScoreShardJob(ILogger log, JobStorage storage, IBackgroundJobClient client)
{
    [JobDisplayName("score {0} shard {1}/{2}")]
    public async Task RunAsync(string runDir, int shard, int shards, CancellationToken ct)
    {
        await Stage.RunAsync(
            runDir,
            StageNames.Score,
            log,
            async (folder, config, context) =>
            {
                Directory.CreateDirectory(folder.ShardsDir);
                var worker = $"{Environment.MachineName}-{Environment.ProcessId}";
                await File.WriteAllTextAsync(
                    Path.Combine(folder.ShardsDir, $"{RunFolder.ShardName(shard)}.attempt-{worker}"),
                    DateTimeOffset.UtcNow.ToString("O"),
                    ct
                );
                var decision = EvaluateJob.ReadDecision(folder);
                if (decision is { Publish: false })
                {
                    log.Information(
                        "Shard {Shard}/{Shards} skipped: the run is rejected ({Reason})",
                        shard,
                        shards,
                        decision.Reason
                    );
                    return new Dictionary<string, object>
                    {
                        ["shard"] = shard,
                        ["users"] = 0,
                        ["rows"] = 0L,
                        ["worker"] = worker,
                        ["skipped"] = true,
                    };
                }
                var (snapshot, graphs, model, device) = await TrainedInputs.LoadAsync(folder, config.Config, ct);
                var info = SnapshotStore.ReadInfo(folder.SnapshotDir);
                var modelName = AutoChoice.PublishedName(folder, model.Kind);
                var (start, count) = Range(snapshot.UserIds.Count, shard, shards);
                if (config.Host.Jobs.TestShardDelayMs > 0) // test hook (jobs.testShardDelayMs): makes "killed mid-shard" reproducible
                    await Task.Delay(config.Host.Jobs.TestShardDelayMs, ct);
                var part = Path.Combine(
                    folder.StagingDir,
                    Schema.Output.Recommendations,
                    $"part-{RunFolder.ShardName(shard)}.parquet"
                );
                long rows = 0,
                    coldRows = 0;
                var shortLists = 0;
                if (count > 0)
                {
                    Directory.CreateDirectory(folder.ShardTmpDir);
                    var tmp = Path.Combine(
                        folder.ShardTmpDir,
                        $"part-{RunFolder.ShardName(shard)}.{Guid.NewGuid():N}.parquet"
                    );
                    (rows, coldRows, shortLists) = await WritePartAsync(
                        tmp,
                        config.Config,
                        device,
                        snapshot,
                        graphs,
                        model,
                        info,
                        context.RunId,
                        start,
                        count,
                        ct,
                        modelName
                    );
                    Directory.CreateDirectory(Path.GetDirectoryName(part)!);
                    File.Move(tmp, part, overwrite: true); // rename(2): the part is whole or absent
                }
                if (shortLists > 0)
                    log.Warning(
                        "{Users} users have fewer than {K} items left that they have not interacted with",
                        shortLists,
                        config.Config.Score.K
                    );
                log.Information(
                    "Shard {Shard}/{Shards} scored users [{Start}, {End}) into {Rows} rows on {Worker}",
                    shard,
                    shards,
                    start,
                    start + count,
                    rows,
                    worker
                );
                return new Dictionary<string, object>
                {
                    ["shard"] = shard,
                    ["users"] = count,
                    ["rows"] = rows,
                    ["shortLists"] = shortLists,
                    ["coldStartRows"] = coldRows,
                    ["worker"] = worker,
                    ["part"] = count > 0 ? Path.GetFileName(part) : "",
                };
            },
            ct,
            recordShard: shard
        );
        ScoringCompletion.EnqueuePublishWhenDone(new RunFolder(runDir), storage, client, log);
    }

    /// <summary>
    /// Scores users [start, start+count) chunk by chunk (Pipeline.scoreRangeDeferred; each chunk's reason items are
    /// computed while the writer encodes its other columns) and streams the rows into a new
    /// recommendations file at <paramref name="path"/>, one row group per chunk. The file, the output id tables and
    /// the cold-item flags are made on the thread pool while the first chunk's top-K runs. Returns the rows written,
    /// how many are cold-start items, and how many users got fewer than K items. The rows' model column is
    /// <paramref name="modelName"/> (model.kind auto's chosen candidate), the model's kind when null.
    /// </summary>
    public static async Task<(long Rows, long ColdRows, int ShortLists)> WritePartAsync(
        string path,
        Core.Config config,
        TorchSharp.torch.Device device,
        Snapshot snapshot,
        Core.Train.SplitGraphs graphs,
        Core.Train.TrainedModel model,
        SnapshotInfo info,
        string runId,
        int start,
        int count,
        CancellationToken ct,
        string? modelName = null
    )
    {
        modelName ??= model.Kind;
        long rows = 0,
            coldRows = 0;
        var shortLists = 0;
        var reasonKind = Pipeline.reasonKind(model);
        var setup = Task.Run(
            async () =>
            {
                var userIds = OutputIds.Of(snapshot.UserIds, info.UserIdKind, "user");
                var itemIds = OutputIds.Of(snapshot.ItemIds, info.ItemIdKind, "item");
                var cold = Pipeline.coldItems(graphs);
                return (
                    Writer: await RecommendationWriter.CreateAsync(path, info.UserIdKind, info.ItemIdKind, ct),
                    userIds,
                    itemIds,
                    cold
                );
            },
            ct
        );
        using var chunks = Pipeline.scoreRangeDeferred(config, device, graphs, model, start, count).GetEnumerator();
        bool more;
        try
        {
            more = chunks.MoveNext(); // the first chunk's top-K, while the setup runs
        }
        catch
        {
            // the setup's file is closed before the top-K's exception is reported; a failure of the setup or of
            // closing the file is secondary here, so the top-K's exception is the one that propagates
            try
            {
                await (await setup.ConfigureAwait(false)).Writer.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception) { }
            throw;
        }
        var (writer, userIds, itemIds, cold) = await setup.ConfigureAwait(false);
        await using (writer)
        {
            while (more)
            {
                ct.ThrowIfCancellationRequested(); // between chunks
                var (chunk, reasonsOf) = chunks.Current;
                // the reasons are computed on the thread pool while the writer encodes the columns before them
                var reasons = Task.Run(() => reasonsOf.Invoke(null), ct);
                var n = chunk.Items.Length;
                var users = new int[n];
                var ranks = new int[n];
                var coldStart = new bool[n];
                for (var b = 0; b < chunk.Users.Length; b++)
                {
                    var u = chunk.Users[b];
                    if (chunk.Offsets[b + 1] - chunk.Offsets[b] < config.Score.K)
                        shortLists++;
                    for (var p = chunk.Offsets[b]; p < chunk.Offsets[b + 1]; p++)
                    {
                        users[p] = u;
                        ranks[p] = p - chunk.Offsets[b] + 1;
                        coldStart[p] = cold[chunk.Items[p]];
                        if (coldStart[p])
                            coldRows++;
                    }
                }
                await writer.WriteAsync(
                    userIds,
                    users,
                    ranks,
                    itemIds,
                    chunk.Items,
                    chunk.Scores,
                    reasons,
                    reasonKind,
                    coldStart,
                    modelName,
                    runId,
                    ct
                );
                rows += n;
                more = chunks.MoveNext();
            }
        }
        return (rows, coldRows, shortLists);
    }

    /// <summary>Users [start, start+count) of shard <paramref name="shard"/> of <paramref name="shards"/>: ⌈U/N⌉ each, the last ones shorter or empty.</summary>
    public static (int Start, int Count) Range(int users, int shard, int shards)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(shards);
        ArgumentOutOfRangeException.ThrowIfNegative(shard);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(shard, shards);
        var size = (users + shards - 1) / shards;
        var start = Math.Min(users, shard * size);
        return (start, Math.Min(size, users - start));
    }
}
