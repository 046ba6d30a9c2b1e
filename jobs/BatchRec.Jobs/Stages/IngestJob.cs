using BatchRec.Core;
using BatchRec.Jobs.Features;
using BatchRec.Jobs.Io;
using BatchRec.Jobs.Store;
using Hangfire;
using Serilog;

namespace BatchRec.Jobs.Stages;

/// <summary>
/// Reads the dataset folder's Parquet tables row group by row group, interns ids, builds the canonical snapshot
/// with its train/valid/test split, and stores it in the run folder. Bad input fails here, before training,
/// with the file, row and column named.
/// </summary>
[Queue("default")]
public sealed class IngestJob(ILogger log)
{
    [JobDisplayName("ingest {0}")]
    public Task RunAsync(string runDir, CancellationToken ct) =>
        Stage.RunAsync(runDir, StageNames.Ingest, log, async (folder, config, _) =>
        {
            var files = DatasetReader.ListFiles(config.InputDir, Schema.Input.Interactions, required: true);
            var itemFiles = DatasetReader.ListFiles(config.InputDir, Schema.Input.Items, required: false);
            var userFiles = DatasetReader.ListFiles(config.InputDir, Schema.Input.Users, required: false);
            var users = new IdMapBuilder();
            var items = new IdMapBuilder();
            var u = new List<int>();
            var i = new List<int>();
            var ts = new List<long>();
            var w = new List<float>();
            IdKind? userKind = null, itemKind = null;
            await foreach (var batch in DatasetReader.ReadInteractionsAsync(files, ct))
            {
                userKind ??= batch.UserIdKind;
                itemKind ??= batch.ItemIdKind;
                for (var k = 0; k < batch.UserIds.Length; k++)
                {
                    u.Add(users.Intern(batch.UserIds[k]));
                    i.Add(items.Intern(batch.ItemIds[k]));
                }
                ts.AddRange(batch.Timestamps);
                w.AddRange(batch.Weights);
            }
            if (u.Count == 0)
                throw new InputFormatException(
                    $"The interactions table under '{Path.Combine(config.InputDir, Schema.Input.Interactions)}' has no rows; nothing to train on.");

            // Catalogue items join the item map even without interactions: models with text and attributes can
            // recommend them (cold start).
            var interactedItems = items.Count;
            var catalogueItems = 0;
            ItemRows? itemRows = null;
            if (itemFiles.Count > 0)
            {
                itemRows = await DatasetReader.ReadItemsAsync(itemFiles, ct);
                if (itemKind is { } k && itemRows.Count > 0 && itemRows.ItemIdKind != k)
                    throw new InputFormatException(
                        $"{Schema.Input.Items}.{Schema.Input.ItemId} is {itemRows.ItemIdKind} but {Schema.Input.Interactions}.{Schema.Input.ItemId} is {k}; both tables must use the same id type");
                catalogueItems = itemRows.ItemIds.Distinct(StringComparer.Ordinal).Count();
                foreach (var id in itemRows.ItemIds) items.Intern(id);
                var missing = items.Count - catalogueItems; // interacted items the table does not list
                if (missing > 0)
                    log.Warning("{Missing} interacted items are not in the items table ({ItemFiles} files)", missing, itemFiles.Count);
                if (items.Count > interactedItems)
                    log.Information("{Cold} catalogue items have no interactions yet (cold start)", items.Count - interactedItems);
            }
            // The optional users table: checked here (schema, nulls) so a broken export fails before training; its
            // text becomes user features of gat-text.
            var userRows = userFiles.Count > 0 ? await DatasetReader.ReadUsersAsync(userFiles, ct) : null;
            var userProfiles = userRows?.Count ?? 0;
            var (userMap, userRemap) = users.Freeze();
            var (itemMap, itemRemap) = items.Freeze();

            var ua = u.Select(x => userRemap[x]).ToArray();
            var ia = i.Select(x => itemRemap[x]).ToArray();
            var snapshot = Pipeline.buildSnapshot(config.Config, userMap, itemMap, ua, ia, ts.ToArray(), w.ToArray());
            var splits = snapshot.Splits;
            var info = new SnapshotInfo(userKind!.Value, itemKind!.Value, u.Count, userMap.Count, itemMap.Count, catalogueItems, userProfiles,
                splits.Count(s => s == Split.Train), splits.Count(s => s == Split.Valid), splits.Count(s => s == Split.Test), [.. files, .. itemFiles, .. userFiles]);
            await SnapshotStore.WriteAsync(folder.SnapshotDir, snapshot, info, ct);
            await Catalogue.Align(itemMap, userMap, itemRows, userRows).WriteAsync(folder.SnapshotDir, ct);
            log.Information("Ingested {Rows} interactions from {Files} files: {Users} users, {Items} items; split {Train}/{Valid}/{Test}",
                info.InteractionsRead, files.Count, info.Users, info.Items, info.Train, info.Valid, info.Test);
            return new Dictionary<string, object>
            {
                ["files"] = files.Count + itemFiles.Count + userFiles.Count, ["interactions"] = info.InteractionsRead, ["users"] = info.Users, ["items"] = info.Items,
                ["train"] = info.Train, ["valid"] = info.Valid, ["test"] = info.Test,
            };
        }, ct);
}
