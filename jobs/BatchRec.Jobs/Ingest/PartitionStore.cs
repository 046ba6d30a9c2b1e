using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using BatchRec.Core;
using BatchRec.Jobs.Io;

namespace BatchRec.Jobs.Ingest;

/// <summary>
/// What compacting one input partition gave: the partition (a dt= value, null for files outside dt= folders), its key,
/// its files, the id kinds of its columns (null when it had no rows), rows read, kept (validated, deduplicated within the
/// partition), deduplicated, quarantined per reason, the columns of each file that the contract does not name, and the
/// rows with valid ids and timestamp whose weight is negative or zero, whether their rule kept or quarantined them.
/// Read = Kept + Deduplicated + Σ Quarantined.
/// </summary>
public sealed record PartitionStats(
    string? Partition,
    string Key,
    IReadOnlyList<InputFileInfo> Files,
    IdKind? UserIdKind,
    IdKind? ItemIdKind,
    long Read,
    long Kept,
    long Deduplicated,
    Dictionary<string, long> Quarantined,
    Dictionary<string, string[]> ExtraColumns,
    long NegativeWeights = 0,
    long ZeroWeights = 0
)
{
    public long QuarantinedTotal => Quarantined.Values.Sum();
}

/// <summary>A compacted partition in the store: its folder and stats.</summary>
public sealed record StoredPartition(string Dir, PartitionStats Stats)
{
    public string RowsPath => Path.Combine(Dir, PartitionStore.RowsFile);
    public string QuarantinePath => Path.Combine(Dir, PartitionStore.QuarantineFile);
}

/// <summary>
/// The compacted interaction store of a dataset, one entry per input partition:
/// <c>&lt;root&gt;/&lt;dt=D | _unpartitioned&gt;/&lt;key&gt;/</c> holding <c>rows.parquet</c> (the partition's good rows,
/// deduplicated), <c>quarantine.parquet</c> (its bad rows) and <c>stats.json</c>. The key is the SHA-256 of the row rules,
/// the store format and every file's path (relative to the table folder) and content hash, so an unchanged partition is
/// read once however many nights it stays in the window, a changed or late file gives a new entry, and ingesting the same
/// partition again is a no-op. Entries are built in a hidden temporary folder and renamed into place: a crash never
/// leaves a half-built entry visible.
/// </summary>
public sealed class PartitionStore(string root)
{
    internal const string RowsFile = "rows.parquet";
    internal const string QuarantineFile = "quarantine.parquet";
    private const string StatsFile = "stats.json";

    // 2: int32 id columns keep their own kind (they were recorded as int64)
    private const string FormatVersion = "batchrec-ingest-store-2";

    public string Root { get; } = Path.GetFullPath(root);

    /// <summary>
    /// Takes the store's lock (an exclusive lock on <c>&lt;root&gt;/.lock</c>, which also holds across processes), waiting
    /// while another ingest of the dataset holds it, so that one run never prunes entries another is reading.
    /// </summary>
    /// <exception cref="TimeoutException">The lock was not free within <paramref name="timeout"/>.</exception>
    public async Task<IDisposable> LockAsync(TimeSpan timeout, CancellationToken ct)
    {
        Directory.CreateDirectory(Root);
        var path = Path.Combine(Root, ".lock");
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (waited.Elapsed < timeout)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200), ct).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                throw new TimeoutException(
                    $"The ingest store '{Root}' stayed locked by another ingest of this dataset for {timeout}.",
                    e
                );
            }
        }
    }

    /// <summary>The folder name of a partition: <c>dt=D</c>, or <c>_unpartitioned</c> for files outside dt= folders.</summary>
    public static string FolderName(string? partition) => partition is null ? "_unpartitioned" : "dt=" + partition;

    /// <summary>The content key of a partition's files under <paramref name="rules"/>.</summary>
    public static string KeyOf(string tableFolder, IEnumerable<InputFileInfo> files, IngestRules rules)
    {
        var text = new StringBuilder(FormatVersion)
            .Append('\n')
            .Append(
                CultureInfo.InvariantCulture,
                $"{rules.MinTimestamp} {rules.MaxTimestamp} {rules.Milliseconds} {rules.MaxIdLength}\n"
            )
            .Append(
                CultureInfo.InvariantCulture,
                $"negative {rules.QuarantineNegativeWeights} zero {rules.QuarantineZeroWeights}\n"
            );
        foreach (var f in files.OrderBy(f => f.Path, StringComparer.Ordinal))
            text.Append(Path.GetRelativePath(tableFolder, f.Path).Replace('\\', '/'))
                .Append(' ')
                .Append(f.Sha256)
                .Append('\n');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>The stored entry for the partition and key, or null.</summary>
    public StoredPartition? TryGet(string? partition, string key)
    {
        var dir = Path.Combine(Root, FolderName(partition), key);
        var stats = Path.Combine(dir, StatsFile);
        return File.Exists(stats) ? new StoredPartition(dir, Runs.Json.Read<PartitionStats>(stats)) : null;
    }

    /// <summary>
    /// Reads the partition's files row group by row group, validates every row (<see cref="Ingest.check"/>), writes the bad
    /// ones to the entry's quarantine file as they come, deduplicates the good ones (<see cref="Ingest.dedupe"/>) and
    /// stores them. Memory: one row group plus the partition's good rows as ints and its distinct ids.
    /// </summary>
    /// <exception cref="InputFormatException">A file is unreadable or its schema is wrong (names the file and column).</exception>
    /// <param name="readAhead">Row groups decoded ahead on another thread (<see cref="ReadAhead"/>); 0 = none.</param>
    public async Task<StoredPartition> CompactAsync(
        string? partition,
        string key,
        IReadOnlyList<InputFileInfo> files,
        IngestRules rules,
        CancellationToken ct,
        int readAhead = 0
    )
    {
        var folder = Path.Combine(Root, FolderName(partition));
        var final = Path.Combine(folder, key);
        var temp = Path.Combine(folder, $".{key}.{Guid.NewGuid():N}.tmp");
        Directory.CreateDirectory(temp);
        try
        {
            var stats = await CompactIntoAsync(temp, partition, key, files, rules, readAhead, ct).ConfigureAwait(false);
            Runs.Json.WriteAtomic(Path.Combine(temp, StatsFile), stats);
            try
            {
                Directory.Move(temp, final);
            }
            catch (IOException) when (File.Exists(Path.Combine(final, StatsFile)))
            {
                // another run built the same entry meanwhile: same content by construction
            }
            return TryGet(partition, key)!;
        }
        finally
        {
            if (Directory.Exists(temp))
                Directory.Delete(temp, recursive: true);
        }
    }

    private static async Task<PartitionStats> CompactIntoAsync(
        string dir,
        string? partition,
        string key,
        IReadOnlyList<InputFileInfo> files,
        IngestRules rules,
        int readAhead,
        CancellationToken ct
    )
    {
        var fileIndex = files.Select((f, i) => (f.Path, i)).ToDictionary(x => x.Path, x => x.i, StringComparer.Ordinal);
        var rows = new InternedRows();
        var src = new List<int>();
        var row = new List<long>();
        var reasons = new Dictionary<string, long>(StringComparer.Ordinal);
        var extra = new Dictionary<string, string[]>(StringComparer.Ordinal);
        IdKind? userKind = null,
            itemKind = null;
        long read = 0,
            negative = 0,
            zero = 0;

        await using (
            var quarantine = await QuarantineWriter
                .CreateAsync(Path.Combine(dir, QuarantineFile), ct)
                .ConfigureAwait(false)
        )
        {
            await foreach (
                var b in ReadAhead
                    .Of(DatasetReader.ReadInteractionRowsAsync(files, ct), readAhead, ct)
                    .ConfigureAwait(false)
            )
            {
                userKind = IdKinds.Widen(userKind, b.UserIdKind);
                itemKind = IdKinds.Widen(itemKind, b.ItemIdKind);
                if (b.ExtraColumns.Length > 0)
                    extra[b.File] = b.ExtraColumns;
                var f = fileIndex[b.File];
                var bad = new List<QuarantineRow>();
                for (int k = 0; k < b.Count; k++)
                {
                    read++;
                    long? seconds = b.Times[k] is { } raw
                        ? (b.TimesAreEpochSeconds ? raw : Core.Ingest.toSeconds(rules, raw))
                        : null;
                    var reason = Core.Ingest.check(rules, b.UserIds[k], b.ItemIds[k], seconds, b.Weights[k]);
                    if (reason is null or Reason.WeightNegative or Reason.WeightZero) // counted whatever the rule
                    {
                        if (b.Weights[k] < 0f)
                            negative++;
                        else if (b.Weights[k] == 0f)
                            zero++;
                    }
                    if (reason is not null)
                    {
                        bad.Add(
                            new QuarantineRow(
                                b.UserIds[k],
                                b.ItemIds[k],
                                b.Times[k]?.ToString(CultureInfo.InvariantCulture),
                                b.Weights[k].ToString("R", CultureInfo.InvariantCulture),
                                b.EventTypes[k],
                                b.File,
                                b.FirstRow + k,
                                partition,
                                reason
                            )
                        );
                        reasons[reason] = reasons.GetValueOrDefault(reason) + 1;
                        continue;
                    }
                    rows.Add(b.UserIds[k]!, b.ItemIds[k]!, seconds!.Value, b.Weights[k], b.EventTypes[k] ?? "");
                    src.Add(f);
                    row.Add(b.FirstRow + k);
                }
                await quarantine.WriteAsync(bad, ct).ConfigureAwait(false);
            }
            await quarantine.CompleteAsync().ConfigureAwait(false);
        }

        var frozen = rows.Freeze();
        var kept = frozen.Kept;

        await WriteRowsAsync(
                Path.Combine(dir, RowsFile),
                kept.Select(k => frozen.UserMap.Id(frozen.Users[k])).ToArray(),
                kept.Select(k => frozen.ItemMap.Id(frozen.Items[k])).ToArray(),
                kept.Select(k => frozen.Times[k]).ToArray(),
                kept.Select(k => frozen.Weights[k]).ToArray(),
                kept.Select(k => frozen.EventMap.Id(frozen.Events[k])).ToArray(),
                kept.Select(k => src[k]).ToArray(),
                kept.Select(k => row[k]).ToArray(),
                ct
            )
            .ConfigureAwait(false);
        var quarantined = reasons.Values.Sum();
        return new PartitionStats(
            partition,
            key,
            files,
            userKind,
            itemKind,
            read,
            kept.Length,
            read - quarantined - kept.Length,
            reasons,
            extra,
            negative,
            zero
        );
    }

    private static Task WriteRowsAsync(
        string path,
        string[] users,
        string[] items,
        long[] times,
        float[] weights,
        string[] events,
        int[] files,
        long[] rows,
        CancellationToken ct
    ) =>
        ColumnarFile.WriteAsync(
            path,
            [
                new(Schema.Input.UserId, users),
                new(Schema.Input.ItemId, items),
                new(Schema.Input.Timestamp, times),
                new(Schema.Input.Weight, weights),
                new(Schema.Input.EventType, events),
                new("source_file", files),
                new("source_row", rows),
            ],
            rowGroupSize: 1 << 20,
            ct: ct
        );

    /// <summary>One row group of a stored partition's rows (event "" = none; source_file indexes the stats' files).</summary>
    internal sealed record RowGroup(
        string[] Users,
        string[] Items,
        long[] Times,
        float[] Weights,
        string[] Events,
        int[] Files,
        long[] Rows
    );

    /// <summary>Streams a stored partition's rows one row group at a time.</summary>
    internal static async IAsyncEnumerable<RowGroup> ReadRowsAsync(
        StoredPartition entry,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct
    )
    {
        await using var source = await ParquetSource.OpenAsync(entry.RowsPath, ct).ConfigureAwait(false);
        SourceColumn Col(string name) =>
            source.Find(name) ?? throw InputFormatException.InFile(entry.RowsPath, "stored column is missing", name);
        var (uc, ic, tc, wc, ec, fc, rc) = (
            Col(Schema.Input.UserId),
            Col(Schema.Input.ItemId),
            Col(Schema.Input.Timestamp),
            Col(Schema.Input.Weight),
            Col(Schema.Input.EventType),
            Col("source_file"),
            Col("source_row")
        );
        foreach (var g in source.RowGroups())
        {
            ct.ThrowIfCancellationRequested();
            yield return new RowGroup(
                await g.ReadRequiredStringsAsync(uc, ct).ConfigureAwait(false),
                await g.ReadRequiredStringsAsync(ic, ct).ConfigureAwait(false),
                await g.ReadRequiredAsync<long>(tc, ct).ConfigureAwait(false),
                await g.ReadRequiredAsync<float>(wc, ct).ConfigureAwait(false),
                await g.ReadRequiredStringsAsync(ec, ct).ConfigureAwait(false),
                await g.ReadRequiredAsync<int>(fc, ct).ConfigureAwait(false),
                await g.ReadRequiredAsync<long>(rc, ct).ConfigureAwait(false)
            );
        }
    }

    /// <summary>Deletes every entry and partition folder not in <paramref name="keep"/> (partition folder name → key), and stale temporaries.</summary>
    public void Prune(IReadOnlyDictionary<string, string> keep)
    {
        if (!Directory.Exists(Root))
            return;
        foreach (var folder in Directory.GetDirectories(Root))
        {
            if (!keep.TryGetValue(Path.GetFileName(folder), out var key))
            {
                Directory.Delete(folder, recursive: true);
                continue;
            }
            foreach (var entry in Directory.GetDirectories(folder))
                if (Path.GetFileName(entry) != key)
                    Directory.Delete(entry, recursive: true);
        }
    }
}
