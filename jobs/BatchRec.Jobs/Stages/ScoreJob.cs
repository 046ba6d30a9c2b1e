using BatchRec.Core;
using BatchRec.Jobs.Io;
using BatchRec.Jobs.Store;
using Hangfire;
using Serilog;

namespace BatchRec.Jobs.Stages;

/// <summary>
/// Top-K for every user over the items they have not interacted with, chunk by chunk (never users × items),
/// streamed into the staged recommendations partition. Nothing here is visible to consumers until publish.
/// </summary>
[Queue("default")]
public sealed class ScoreJob(ILogger log)
{
    [JobDisplayName("score {0}")]
    public Task RunAsync(string runDir, CancellationToken ct) =>
        Stage.RunAsync(runDir, StageNames.Score, log, async (folder, config, context) =>
        {
            var (snapshot, graphs, model, device) = await TrainedInputs.LoadAsync(folder, config.Config, ct);
            var info = SnapshotStore.ReadInfo(folder.SnapshotDir);
            var stagedDir = Path.Combine(folder.StagingDir, Schema.Output.Recommendations);
            if (Directory.Exists(stagedDir)) Directory.Delete(stagedDir, recursive: true); // a retried attempt starts clean
            Directory.CreateDirectory(stagedDir);
            long rows = 0;
            var usersScored = 0;
            var shortLists = 0;
            var cold = Pipeline.coldItems(graphs);
            var reasonKind = model.Kind == "popularity" ? "none" : "embedding-cosine";
            long coldRows = 0;
            await using (var writer = await RecommendationWriter.CreateAsync(Path.Combine(stagedDir, "part-00000.parquet"), info.UserIdKind, info.ItemIdKind, ct))
            {
                foreach (var scored in Pipeline.score(config.Config, device, graphs, model))
                {
                    var chunk = scored.TopK;
                    ct.ThrowIfCancellationRequested();
                    var n = chunk.Items.Length;
                    var userIds = new string[n];
                    var itemIds = new string[n];
                    var ranks = new int[n];
                    var reasons = new string?[n];
                    var coldStart = new bool[n];
                    for (var b = 0; b < chunk.Users.Length; b++)
                    {
                        var uid = snapshot.UserIds.Id(chunk.Users[b]);
                        var len = chunk.Offsets[b + 1] - chunk.Offsets[b];
                        if (len < config.Config.Score.K) shortLists++;
                        for (var p = chunk.Offsets[b]; p < chunk.Offsets[b + 1]; p++)
                        {
                            userIds[p] = uid;
                            itemIds[p] = snapshot.ItemIds.Id(chunk.Items[p]);
                            ranks[p] = p - chunk.Offsets[b] + 1;
                            reasons[p] = scored.Reasons[p] >= 0 ? snapshot.ItemIds.Id(scored.Reasons[p]) : null;
                            coldStart[p] = cold[chunk.Items[p]];
                            if (coldStart[p]) coldRows++;
                        }
                    }
                    if (n > 0) await writer.WriteAsync(userIds, ranks, itemIds, chunk.Scores, reasons, reasonKind, coldStart, model.Kind, context.RunId, ct);
                    rows += n;
                    usersScored += chunk.Users.Length;
                }
            }
            if (shortLists > 0)
                log.Warning("{Users} users have fewer than {K} items left that they have not interacted with", shortLists, config.Config.Score.K);
            log.Information("Scored {Users} users into {Rows} recommendation rows", usersScored, rows);
            return new Dictionary<string, object> { ["users"] = usersScored, ["rows"] = rows, ["shortLists"] = shortLists, ["coldStartRows"] = coldRows };
        }, ct);
}
