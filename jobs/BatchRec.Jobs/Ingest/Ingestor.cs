using System.Globalization;
using BatchRec.Core;
using BatchRec.Jobs.Configuration;
using BatchRec.Jobs.Io;
using BatchRec.Jobs.Store;

namespace BatchRec.Jobs.Ingest;

/// <summary>One input partition as the run used it: its stats, whether its stored compaction was reused, and the rows
/// of it that the items table rule quarantined in this run.</summary>
public sealed record PartitionLineage(PartitionStats Stats, bool Reused, long ItemUnknown);

/// <summary>
/// What the ingest stage did, for the run manifest. Read = Kept + Deduplicated + Quarantined, where Deduplicated counts
/// duplicates within partitions and across them, and Quarantined sums <see cref="QuarantinedByReason"/>. Besides:
/// the interactions with a negative or zero weight (kept or quarantined by their rule), and the items-table rows and
/// how many of them repeat an earlier row's item_id.
/// </summary>
public sealed record IngestLineage(
    string RunDate,
    int WindowDays,
    long Read,
    long Kept,
    long Deduplicated,
    long DeduplicatedAcrossPartitions,
    long Quarantined,
    Dictionary<string, long> QuarantinedByReason,
    IReadOnlyList<PartitionLineage> Partitions,
    IReadOnlyList<string> PartitionsOutsideWindow,
    IReadOnlyList<string> CeilingViolations
)
{
    /// <summary>The published quarantine version folder of this run (set by the ingest stage once published).</summary>
    public string? QuarantineVersion { get; init; }

    /// <summary>Interactions with valid ids and timestamp whose weight is negative: quarantined (weight_negative) or kept, per ingest.negativeWeights.</summary>
    public long NegativeWeights { get; init; }

    /// <summary>Interactions with valid ids and timestamp whose weight is zero: quarantined (weight_zero) or kept, per ingest.zeroWeights.</summary>
    public long ZeroWeights { get; init; }

    /// <summary>Rows of the items table (0 without one).</summary>
    public long ItemsTableRows { get; init; }

    /// <summary>Items-table rows whose item_id repeats an earlier row's; ignored (the first row of each id is kept) under ingest.duplicateItems = first.</summary>
    public long DuplicateItems { get; init; }

    /// <summary>Where the ingest stage keeps the lineage in a run folder; the manifest reads it from there.</summary>
    public static string PathIn(Runs.RunFolder folder) => Path.Combine(folder.Path, "ingest.json");

    /// <summary>The lineage of a run folder, or null when its ingest stage has not written one.</summary>
    public static IngestLineage? TryRead(Runs.RunFolder folder) =>
        File.Exists(PathIn(folder)) ? Runs.Json.Read<IngestLineage>(PathIn(folder)) : null;
}

/// <summary>The ingest stage's result: the snapshot (null when the bad-row ceiling was exceeded), its info, the lineage,
/// and the quarantine files of this run (to publish).</summary>
public sealed record IngestResult(
    Snapshot? Snapshot,
    SnapshotInfo? Info,
    IngestLineage Lineage,
    IReadOnlyList<(string Name, string Path)> QuarantineFiles,
    Features.Catalogue? Catalogue = null
);

/// <summary>
/// The ingest shell: lists the dataset's partitions, keeps those in the window, compacts new or changed partitions into
/// the <see cref="PartitionStore"/> (reusing unchanged ones), streams the stored rows into id maps, applies the items
/// table rule, deduplicates across partitions and builds the canonical snapshot. Pure rules live in <see cref="Core.Ingest"/>.
/// </summary>
public static class Ingestor
{
    /// <summary>How long an ingest waits for another ingest of the same dataset to finish with the store.</summary>
    public static readonly TimeSpan StoreLockTimeout = TimeSpan.FromHours(1);

    /// <summary>The store of a dataset: <c>&lt;work&gt;/ingest/&lt;dataset&gt;/interactions</c>.</summary>
    public static PartitionStore StoreOf(LoadedConfig config) =>
        new(Path.Combine(config.WorkDir, "ingest", config.DatasetName, Schema.Input.Interactions));

    /// <summary>Runs ingest for <paramref name="runDate"/>; <paramref name="scratchDir"/> receives this run's own quarantine file.</summary>
    /// <exception cref="InputFormatException">
    /// Unreadable input or a wrong schema (names the file and column); no partition in the window; no good rows;
    /// id kinds differing between partitions.
    /// </exception>
    public static async Task<IngestResult> RunAsync(
        LoadedConfig config,
        DateOnly runDate,
        string scratchDir,
        CancellationToken ct
    )
    {
        var cfg = config.Config;
        var rules = Core.Ingest.rules(cfg.Ingest);
        var tableFolder = Path.GetFullPath(Path.Combine(config.InputDir, Schema.Input.Interactions));
        var files = DatasetReader.ListFiles(config.InputDir, Schema.Input.Interactions, required: true);
        var itemFiles = DatasetReader.ListFiles(config.InputDir, Schema.Input.Items, required: false);
        var userFiles = DatasetReader.ListFiles(config.InputDir, Schema.Input.Users, required: false);

        var partitions = files.GroupBy(f => f.Partition).OrderBy(g => g.Key ?? "", StringComparer.Ordinal).ToList();
        var inWindow = partitions.Where(g => Core.Ingest.inWindow(cfg.Ingest.WindowDays, runDate, g.Key)).ToList();
        var outside = partitions.Except(inWindow).Select(g => PartitionStore.FolderName(g.Key)).ToList();
        if (inWindow.Count == 0)
            throw InputFormatException.InFile(
                tableFolder,
                $"no partition within ingest.windowDays = {cfg.Ingest.WindowDays} of {runDate:yyyy-MM-dd} (outside: {string.Join(", ", outside)})"
            );

        var store = StoreOf(config);
        using var storeLock = await store.LockAsync(StoreLockTimeout, ct).ConfigureAwait(false);
        var entries = new List<(StoredPartition Entry, bool Reused)>();
        foreach (var group in inWindow)
        {
            var groupFiles = group.ToList();
            var key = PartitionStore.KeyOf(tableFolder, groupFiles, rules);
            var existing = store.TryGet(group.Key, key);
            entries.Add(
                existing is not null
                    ? (existing, true)
                    : (
                        await store
                            .CompactAsync(group.Key, key, groupFiles, rules, ct, cfg.Ingest.ReadAhead)
                            .ConfigureAwait(false),
                        false
                    )
            );
        }
        store.Prune(
            entries.ToDictionary(e => PartitionStore.FolderName(e.Entry.Stats.Partition), e => e.Entry.Stats.Key)
        );
        var (userKind, itemKind) = AgreeOnKinds(entries.Select(e => e.Entry.Stats).ToList());

        HashSet<string>? knownItems = null;
        var catalogueItems = 0;
        ItemRows? itemRows = null;
        long duplicateItems = 0;
        if (itemFiles.Count > 0)
        {
            itemRows = await DatasetReader.ReadItemsAsync(itemFiles, ct).ConfigureAwait(false);
            duplicateItems = DuplicateItemRows(itemRows, cfg.Ingest.DuplicateItems.IsFail);
            catalogueItems = itemRows.Count;
            knownItems = new HashSet<string>(itemRows.ItemIds, StringComparer.Ordinal);
            if (itemKind is { } k && IdKinds.IsInteger(k) && itemRows.ItemIdKind == IdKind.String && itemRows.Count > 0)
                throw InputFormatException.InFile(
                    itemFiles[0].Path,
                    $"item ids are strings here but {IdKinds.Describe(k)} in the interactions table; both tables must use the same id type",
                    Schema.Input.ItemId
                );
            // catalogue items join the item map: int64 ids in the items table widen int32 interactions ids
            if (itemRows.Count > 0 && itemKind is { } ik && IdKinds.IsInteger(ik))
                itemKind = IdKinds.Widen(ik, itemRows.ItemIdKind);
        }
        var quarantineUnknown = knownItems is not null && cfg.Ingest.UnknownItems.IsQuarantine;
        var userRows =
            userFiles.Count > 0 ? await DatasetReader.ReadUsersAsync(userFiles, ct).ConfigureAwait(false) : null;
        var userProfiles = userRows?.Count ?? 0;

        // merge the stored partitions: stream, apply the items table rule, intern
        var rows = new InternedRows();
        var unknownPerPartition = new long[entries.Count];
        var quarantineFiles = entries
            .Where(x => x.Entry.Stats.QuarantinedTotal > 0)
            .Select(x => ($"part-{PartitionStore.FolderName(x.Entry.Stats.Partition)}.parquet", x.Entry.QuarantinePath))
            .ToList();
        Directory.CreateDirectory(scratchDir);
        var unknownPath = Path.Combine(scratchDir, "part-item-unknown.parquet");
        await using (var unknown = await QuarantineWriter.CreateAsync(unknownPath, ct).ConfigureAwait(false))
        {
            for (int p = 0; p < entries.Count; p++)
            {
                var (entry, _) = entries[p];
                await foreach (var g in PartitionStore.ReadRowsAsync(entry, ct).ConfigureAwait(false))
                {
                    var bad = new List<QuarantineRow>();
                    for (int k = 0; k < g.Users.Length; k++)
                    {
                        if (quarantineUnknown && !knownItems!.Contains(g.Items[k]))
                        {
                            bad.Add(
                                new QuarantineRow(
                                    g.Users[k],
                                    g.Items[k],
                                    g.Times[k].ToString(CultureInfo.InvariantCulture),
                                    g.Weights[k].ToString("R", CultureInfo.InvariantCulture),
                                    g.Events[k].Length == 0 ? null : g.Events[k],
                                    entry.Stats.Files[g.Files[k]].Path,
                                    g.Rows[k],
                                    entry.Stats.Partition,
                                    Reason.ItemUnknown
                                )
                            );
                            continue;
                        }
                        rows.Add(g.Users[k], g.Items[k], g.Times[k], g.Weights[k], g.Events[k]);
                    }
                    unknownPerPartition[p] += bad.Count;
                    await unknown.WriteAsync(bad, ct).ConfigureAwait(false);
                }
            }
            if (unknown.Rows > 0)
            {
                await unknown.CompleteAsync().ConfigureAwait(false);
                quarantineFiles.Add(("part-item-unknown.parquet", unknownPath));
            }
        }

        // Catalogue items join the item map even without interactions: models with text and attributes can
        // recommend them (cold start). Their indices are canonical like all others.
        if (itemRows is not null)
            foreach (var id in itemRows.ItemIds)
                rows.AddItem(id);
        var frozen = rows.Freeze();
        var (userMap, itemMap, kept) = (frozen.UserMap, frozen.ItemMap, frozen.Kept);
        var (uc, ic, ta, wa) = (frozen.Users, frozen.Items, frozen.Times, frozen.Weights);
        long across = uc.Length - kept.Length;

        // lineage and the ceiling, per partition
        var byReason = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (entry, _) in entries)
        foreach (var (reason, n) in entry.Stats.Quarantined)
            byReason[reason] = byReason.GetValueOrDefault(reason) + n;
        var unknownTotal = unknownPerPartition.Sum();
        if (unknownTotal > 0)
            byReason[Reason.ItemUnknown] = byReason.GetValueOrDefault(Reason.ItemUnknown) + unknownTotal;
        var lineagePartitions = entries
            .Select((x, p) => new PartitionLineage(x.Entry.Stats, x.Reused, unknownPerPartition[p]))
            .ToList();
        var violations = lineagePartitions
            .Where(p =>
                Core.Ingest.exceedsCeiling(
                    cfg.Ingest.MaxBadFraction,
                    p.Stats.Read,
                    p.Stats.QuarantinedTotal + p.ItemUnknown
                )
            )
            .Select(p => Violation(p, cfg.Ingest.MaxBadFraction))
            .ToList();
        var read = entries.Sum(x => x.Entry.Stats.Read);
        var quarantined = byReason.Values.Sum();
        var lineage = new IngestLineage(
            runDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            cfg.Ingest.WindowDays,
            read,
            kept.Length,
            read - quarantined - kept.Length,
            across,
            quarantined,
            byReason,
            lineagePartitions,
            outside,
            violations
        )
        {
            NegativeWeights = entries.Sum(x => x.Entry.Stats.NegativeWeights),
            ZeroWeights = entries.Sum(x => x.Entry.Stats.ZeroWeights),
            ItemsTableRows = itemRows?.Count ?? 0,
            DuplicateItems = duplicateItems,
        };
        if (violations.Count > 0)
            return new IngestResult(null, null, lineage, quarantineFiles);
        if (kept.Length == 0)
            throw InputFormatException.InFile(
                tableFolder,
                $"no good rows to train on: {read} rows read, {quarantined} quarantined ({Reasons(byReason)})"
            );

        var snapshot = Pipeline.buildSnapshot(
            cfg,
            userMap,
            itemMap,
            kept.Select(k => uc[k]).ToArray(),
            kept.Select(k => ic[k]).ToArray(),
            kept.Select(k => ta[k]).ToArray(),
            kept.Select(k => wa[k]).ToArray()
        );
        var splits = snapshot.Splits;
        var inputs = entries.SelectMany(x => x.Entry.Stats.Files).Concat(itemFiles).Concat(userFiles).ToList();
        var info = new SnapshotInfo(
            userKind ?? IdKind.String,
            itemKind ?? IdKind.String,
            read,
            userMap.Count,
            itemMap.Count,
            catalogueItems,
            userProfiles,
            splits.Count(s => s == Split.Train),
            splits.Count(s => s == Split.Valid),
            splits.Count(s => s == Split.Test),
            inputs
        );
        return new IngestResult(
            snapshot,
            info,
            lineage,
            quarantineFiles,
            Features.Catalogue.Align(itemMap, userMap, itemRows, userRows)
        );
    }

    /// <summary>
    /// Counts the items-table rows whose item_id repeats an earlier row's (files in path order, rows in file order; the
    /// catalogue keeps the first row of each id). With <paramref name="fail"/>, the first repeat throws naming both rows.
    /// </summary>
    private static long DuplicateItemRows(ItemRows items, bool fail)
    {
        var first = new Dictionary<string, int>(items.Count, StringComparer.Ordinal);
        long duplicates = 0;
        for (var r = 0; r < items.Count; r++)
        {
            if (first.TryAdd(items.ItemIds[r], r))
                continue;
            duplicates++;
            if (!fail)
                continue;
            var (file, row) = items.SourceOf(r);
            var (firstFile, firstRow) = items.SourceOf(first[items.ItemIds[r]]);
            throw InputFormatException.AtRow(
                file,
                row,
                Schema.Input.ItemId,
                $"item id '{items.ItemIds[r]}' was already given by row {firstRow} of {firstFile}; ingest.duplicateItems = fail refuses repeated "
                    + "items-table rows (with 'first' the first row of each id is kept and the others are counted and ignored)"
            );
        }
        return duplicates;
    }

    private static string Violation(PartitionLineage p, double max)
    {
        var bad = p.Stats.QuarantinedTotal + p.ItemUnknown;
        var reasons = new Dictionary<string, long>(p.Stats.Quarantined, StringComparer.Ordinal);
        if (p.ItemUnknown > 0)
            reasons[Reason.ItemUnknown] = p.ItemUnknown;
        var files = string.Join(", ", p.Stats.Files.Select(f => f.Path));
        return string.Create(
            CultureInfo.InvariantCulture,
            $"partition {PartitionStore.FolderName(p.Stats.Partition)} ({files}): {bad} of {p.Stats.Read} rows ({100.0 * bad / p.Stats.Read:0.##}%) are bad, more than ingest.maxBadFraction = {max:0.####}: {Reasons(reasons)}"
        );
    }

    internal static string Reasons(Dictionary<string, long> byReason) =>
        byReason.Count == 0
            ? "none"
            : string.Join(", ", byReason.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => $"{r.Key} {r.Value}"));

    private static (IdKind? User, IdKind? Item) AgreeOnKinds(IReadOnlyList<PartitionStats> stats)
    {
        // strings or integers in every partition; int32 and int64 partitions mix (the ids are then int64)
        IdKind? Agree(Func<PartitionStats, IdKind?> kind, string column)
        {
            var withKind = stats.Where(s => kind(s) is not null).ToList();
            if (withKind.Count == 0)
                return null;
            var first = withKind[0];
            var other = withKind.FirstOrDefault(s =>
                IdKinds.IsInteger(kind(s)!.Value) != IdKinds.IsInteger(kind(first)!.Value)
            );
            if (other is not null)
                throw InputFormatException.InFile(
                    other.Files[0].Path,
                    $"ids are {IdKinds.Describe(kind(other)!.Value)} here but {IdKinds.Describe(kind(first)!.Value)} in {first.Files[0].Path}; all files of a table must agree",
                    column
                );
            return withKind.Select(kind).Aggregate((a, b) => IdKinds.Widen(a, b));
        }
        return (Agree(s => s.UserIdKind, Schema.Input.UserId), Agree(s => s.ItemIdKind, Schema.Input.ItemId));
    }
}
