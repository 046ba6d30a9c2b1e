using BatchRec.Core;
using BatchRec.Jobs.Io;

namespace BatchRec.Jobs.Store;

/// <summary>Facts about the snapshot that the later stages and the manifest need.</summary>
public sealed record SnapshotInfo(
    IdKind UserIdKind,
    IdKind ItemIdKind,
    long InteractionsRead,
    int Users,
    int Items,
    int CatalogueItems,
    int UserProfiles,
    int Train,
    int Valid,
    int Test,
    IReadOnlyList<InputFileInfo> Inputs
);

/// <summary>Writes and reads the ingest stage's output: the interactions over dense indices with their split, and the id maps.</summary>
public static class SnapshotStore
{
    private const string InteractionsFile = "interactions.parquet";
    private const string UsersFile = "users.parquet";
    private const string ItemsFile = "items.parquet";
    private const string InfoFile = "snapshot.json";

    public static async Task WriteAsync(string dir, Snapshot snapshot, SnapshotInfo info, CancellationToken ct)
    {
        Directory.CreateDirectory(dir);
        var i = snapshot.Interactions;
        var splits = snapshot.Splits.Select(s => (byte)s).ToArray();
        await ColumnarFile.WriteAsync(
            Path.Combine(dir, InteractionsFile),
            [
                new("user", i.Users),
                new("item", i.Items),
                new("timestamp", i.Timestamps),
                new("weight", i.Weights),
                new("split", splits),
            ],
            ct: ct
        );
        await ColumnarFile.WriteAsync(Path.Combine(dir, UsersFile), [new("user_id", snapshot.UserIds.Ids)], ct: ct);
        await ColumnarFile.WriteAsync(Path.Combine(dir, ItemsFile), [new("item_id", snapshot.ItemIds.Ids)], ct: ct);
        Runs.Json.WriteAtomic(Path.Combine(dir, InfoFile), info);
    }

    public static SnapshotInfo ReadInfo(string dir) => Runs.Json.Read<SnapshotInfo>(Path.Combine(dir, InfoFile));

    /// <summary>The item ids in index order (what the run page needs to name items, without the interactions).</summary>
    public static async Task<string[]> ReadItemIdsAsync(string dir, CancellationToken ct) =>
        (string[])(await ColumnarFile.ReadAsync(Path.Combine(dir, ItemsFile), ct))["item_id"];

    public static async Task<Snapshot> ReadAsync(string dir, CancellationToken ct)
    {
        var inter = await ColumnarFile.ReadAsync(Path.Combine(dir, InteractionsFile), ct);
        var users = (string[])(await ColumnarFile.ReadAsync(Path.Combine(dir, UsersFile), ct))["user_id"];
        var items = (string[])(await ColumnarFile.ReadAsync(Path.Combine(dir, ItemsFile), ct))["item_id"];
        var userMap = IdMapModule.ofIds(users);
        var itemMap = IdMapModule.ofIds(items);
        if (userMap.Count != users.Length || itemMap.Count != items.Length)
            throw new InvalidDataException($"Snapshot id maps in '{dir}' are not distinct.");
        return Pipeline.restoreSnapshot(
            userMap,
            itemMap,
            (int[])inter["user"],
            (int[])inter["item"],
            (long[])inter["timestamp"],
            (float[])inter["weight"],
            (byte[])inter["split"]
        );
    }
}
