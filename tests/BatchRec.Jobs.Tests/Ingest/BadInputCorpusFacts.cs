using BatchRec.Jobs.Ingest;
using BatchRec.Jobs.Io;
using BatchRec.Jobs.Orchestration;
using BatchRec.Jobs.Publishing;
using BatchRec.Jobs.Tests.Io;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Parquet.Schema;
using Xunit;
using static BatchRec.Jobs.Tests.Ingest.IngestFixtures;

namespace BatchRec.Jobs.Tests.Ingest;

/// <summary>
/// The corpus of bad inputs: each gives its documented outcome, an <see cref="InputFormatException"/> naming the file
/// (and column) or quarantined rows, and none crashes or hangs. Schemas are generated with FsCheck; broken files are
/// made from a good file.
/// </summary>
public sealed class BadInputCorpusFacts
{
    private const long T = 1_700_000_000;
    private static readonly TimeSpan NoHang = TimeSpan.FromSeconds(60);

    /// <summary>A column type a file may have; <see cref="Missing"/> leaves the column out.</summary>
    public enum ColumnKind
    {
        Missing,
        String,
        Int64,
        Int32,
        Int16,
        UInt32,
        Double,
        Float,
        Boolean,
        Timestamp,
    }

    public sealed record SchemaCase(
        ColumnKind User,
        ColumnKind Item,
        ColumnKind Time,
        ColumnKind Weight,
        ColumnKind Event,
        int Rows
    );

    private static readonly ColumnKind[] AllKinds = Enum.GetValues<ColumnKind>();

    /// <summary>Per column of the contract, in the order the reader checks them: name, accepted kinds, required, expected words, found words.</summary>
    private static readonly (string Name, ColumnKind[] Accepted, bool Required, string Expected)[] Contract =
    [
        ("user_id", [ColumnKind.String, ColumnKind.Int64, ColumnKind.Int32], true, "string, int64 or int32"),
        ("item_id", [ColumnKind.String, ColumnKind.Int64, ColumnKind.Int32], true, "string, int64 or int32"),
        (
            "timestamp",
            [ColumnKind.Int64, ColumnKind.Int32, ColumnKind.Timestamp],
            true,
            "int64 epoch seconds or timestamp"
        ),
        (
            "weight",
            [
                ColumnKind.Float,
                ColumnKind.Double,
                ColumnKind.Int32,
                ColumnKind.Int64,
                ColumnKind.Int16,
                ColumnKind.UInt32,
            ],
            false,
            "float, double or an integer (int8, int16, int32, int64, uint8, uint16, uint32, uint64)"
        ),
        ("event_type", [ColumnKind.String], false, "string"),
    ];

    private static string Found(ColumnKind kind) =>
        kind switch
        {
            ColumnKind.String => "string",
            ColumnKind.Int64 => "int64",
            ColumnKind.Int32 => "int32",
            ColumnKind.Int16 => "int16",
            ColumnKind.UInt32 => "uint32",
            ColumnKind.Double => "double",
            ColumnKind.Float => "float",
            ColumnKind.Boolean => "boolean",
            ColumnKind.Timestamp => "timestamp",
            _ => "missing",
        };

    private static (Field Field, Array Values) Column(string name, ColumnKind kind, int rows, bool isTime) =>
        kind switch
        {
            ColumnKind.String => (
                new DataField<string>(name),
                Enumerable.Range(0, rows).Select(k => (string?)("v" + k)).ToArray()
            ),
            ColumnKind.Int64 => (
                new DataField<long>(name),
                Enumerable.Range(0, rows).Select(k => isTime ? T + k : k).ToArray()
            ),
            ColumnKind.Int32 => (
                new DataField<int>(name),
                Enumerable.Range(0, rows).Select(k => isTime ? (int)T + k : k).ToArray()
            ),
            ColumnKind.Int16 => (
                new DataField<short>(name),
                Enumerable.Range(0, rows).Select(k => (short)(k + 1)).ToArray()
            ),
            ColumnKind.UInt32 => (
                new DataField<uint>(name),
                Enumerable.Range(0, rows).Select(k => (uint)(k + 1)).ToArray()
            ),
            ColumnKind.Double => (
                new DataField<double>(name),
                Enumerable.Range(0, rows).Select(k => 1.0 + k).ToArray()
            ),
            ColumnKind.Float => (new DataField<float>(name), Enumerable.Range(0, rows).Select(k => 1f + k).ToArray()),
            ColumnKind.Boolean => (
                new DataField<bool>(name),
                Enumerable.Range(0, rows).Select(k => k % 2 == 0).ToArray()
            ),
            ColumnKind.Timestamp => (
                new DataField<DateTime>(name),
                Enumerable.Range(0, rows).Select(k => DateTime.UnixEpoch.AddSeconds(T + k)).ToArray()
            ),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };

    private static Arbitrary<SchemaCase> SchemaCases()
    {
        var kind = Gen.Elements(AllKinds);
        // half the cases draw only accepted kinds for the required columns, so that valid schemas are common too
        Gen<ColumnKind> Column(int c) => Gen.Frequency((1, kind), (1, Gen.Elements(Contract[c].Accepted)));
        return Column(0)
            .SelectMany(u =>
                Column(1)
                    .SelectMany(i =>
                        Column(2)
                            .SelectMany(t =>
                                kind.SelectMany(w =>
                                    Gen.Elements(ColumnKind.Missing, ColumnKind.String, ColumnKind.Int64)
                                        .SelectMany(e =>
                                            Gen.Choose(1, 9).Select(rows => new SchemaCase(u, i, t, w, e, rows))
                                        )
                                )
                            )
                    )
            )
            .ToArbitrary();
    }

    [Property(MaxTest = 60)]
    public Property AnySchema_EitherIngestsEveryRow_OrFailsNamingFileColumnExpectedAndFound() =>
        Prop.ForAll(SchemaCases(), c => Task.Run(async () =>
                {
                    using var dir = new TempDir();
                    var kinds = new[] { c.User, c.Item, c.Time, c.Weight, c.Event };
                    var columns = kinds
                        .Select((k, n) => (k, n))
                        .Where(x => x.k != ColumnKind.Missing)
                        .Select(x => Column(Contract[x.n].Name, x.k, c.Rows, x.n == 2))
                        .ToList();
                    columns.Add(
                        (new DataField<string>("extra_payload"), Enumerable.Repeat((string?)"x", c.Rows).ToArray())
                    );
                    var path = PartitionFile(dir.Path, "2026-11-27");
                    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                    await TestParquet.WriteAsync(
                        path,
                        columns.Select(x => x.Field).ToArray(),
                        columns.Select(x => x.Values).ToArray()
                    );
                    var firstBad = Enumerable
                        .Range(0, Contract.Length)
                        .Cast<int?>()
                        .FirstOrDefault(n =>
                            kinds[n!.Value] == ColumnKind.Missing
                                ? Contract[n.Value].Required
                                : !Contract[n.Value].Accepted.Contains(kinds[n.Value])
                        );

                    var run = IngestAsync(Config(dir.Path)).WaitAsync(NoHang);
                    if (firstBad is { } bad)
                    {
                        var e = await Assert.ThrowsAsync<InputFormatException>(() => run);
                        Assert.Contains(path, e.Message);
                        Assert.Equal(Contract[bad].Name, e.Column);
                        Assert.Contains("expected " + Contract[bad].Expected, e.Message);
                        Assert.Contains(
                            kinds[bad] == ColumnKind.Missing
                                ? "required column is missing"
                                : "found " + Found(kinds[bad]),
                            e.Message
                        );
                    }
                    else
                    {
                        var result = await run;
                        Assert.Equal(c.Rows, result.Lineage.Read);
                        Assert.Equal(c.Rows, result.Lineage.Kept); // ids differ per row, so nothing is a duplicate
                        Assert.Equal(["extra_payload"], result.Lineage.Partitions[0].Stats.ExtraColumns[path]);
                    }
                    return true;
                })
                .GetAwaiter()
                .GetResult());

    /// <summary>A good one-partition dataset; returns the file's path.</summary>
    private static Task<string> GoodAsync(string root, string dt = "2026-11-27") =>
        WriteAsync(
            PartitionFile(root, dt),
            Enumerable.Range(0, 50).Select(k => new Row("u" + (k % 7), "i" + k, T + k)).ToList(),
            rowGroupSize: 10
        );

    public static TheoryData<string> BrokenFiles =>
        ["zero-bytes", "truncated", "csv", "wrong-magic", "corrupt-footer", "tail-only", "scrambled-pages"];

    [Theory]
    [MemberData(nameof(BrokenFiles))]
    public async Task UnreadableFile_FailsNamingTheFile_AndLeavesNoStoreEntryForIt(string how)
    {
        using var dir = new TempDir();
        await GoodAsync(dir.Path, "2026-11-26");
        var path = await GoodAsync(dir.Path);
        var bytes = await File.ReadAllBytesAsync(path);
        byte[] broken = how switch
        {
            "zero-bytes" => [],
            "truncated" => bytes[..(bytes.Length / 2)],
            "csv" => "user_id,item_id,timestamp\n1,2,3\n"u8.ToArray(),
            "wrong-magic" => [.. "PAR0"u8.ToArray(), .. bytes[4..]],
            // the footer length (4 bytes before the closing magic) points before the file's start
            "corrupt-footer" => [.. bytes[..^8], .. BitConverter.GetBytes(int.MaxValue), .. "PAR1"u8.ToArray()],
            "tail-only" => [.. "PAR1"u8.ToArray(), .. new byte[8], .. "PAR1"u8.ToArray()],
            // page headers and compressed data overwritten, footer intact
            _ =>
            [
                .. bytes[..4],
                .. Enumerable.Range(0, bytes.Length / 2 - 4).Select(k => (byte)(k * 131 % 251)),
                .. bytes[(bytes.Length / 2)..],
            ],
        };
        await File.WriteAllBytesAsync(path, broken);
        var config = Config(dir.Path);

        var e = await Assert.ThrowsAsync<InputFormatException>(() => IngestAsync(config).WaitAsync(NoHang));

        Assert.Contains(path, e.Message);
        Assert.Matches("empty|not a Parquet file|not a readable Parquet file|cannot", e.Message);
        // the broken partition leaves no entry (nor a temporary folder) in the store; a good one compacted before it may stay
        var entry = Path.Combine(Ingestor.StoreOf(config).Root, "dt=2026-11-27");
        Assert.False(Directory.Exists(entry) && Directory.EnumerateFileSystemEntries(entry).Any());
    }

    [Fact]
    public async Task FolderWithoutParquet_FailsNamingTheFolder()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(Path.Combine(dir.Path, "input", "interactions", "dt=2026-11-27"));
        await File.WriteAllTextAsync(
            Path.Combine(dir.Path, "input", "interactions", "dt=2026-11-27", "part-0.csv"),
            "user_id,item_id\n"
        );

        var e = await Assert.ThrowsAsync<InputFormatException>(() => IngestAsync(Config(dir.Path)).WaitAsync(NoHang));

        Assert.Contains(Path.Combine(dir.Path, "input", "interactions"), e.Message);
        Assert.Contains("no .parquet file", e.Message);
    }

    [Fact]
    public async Task ParquetWithNoRows_FailsSayingThereIsNothingToTrainOn()
    {
        using var dir = new TempDir();
        await WriteAsync(PartitionFile(dir.Path, null), []);

        var e = await Assert.ThrowsAsync<InputFormatException>(() => IngestAsync(Config(dir.Path)).WaitAsync(NoHang));

        Assert.Contains("no good rows", e.Message);
        Assert.Contains("0 rows read", e.Message);
    }

    [Fact]
    public async Task PartitionFolderThatIsNotADate_FailsNamingTheFile()
    {
        using var dir = new TempDir();
        var path = await WriteAsync(
            Path.Combine(dir.Path, "input", "interactions", "dt=yesterday", "part-0.parquet"),
            [new("u", "i", T)]
        );

        var e = await Assert.ThrowsAsync<InputFormatException>(() => IngestAsync(Config(dir.Path)).WaitAsync(NoHang));

        Assert.Contains(path, e.Message);
        Assert.Contains("YYYY-MM-DD", e.Message);
    }

    [Fact]
    public async Task IdKindsThatDifferBetweenPartitions_FailNamingBothFiles()
    {
        using var dir = new TempDir();
        var strings = await GoodAsync(dir.Path, "2026-11-26");
        var ints = PartitionFile(dir.Path, "2026-11-27");
        Directory.CreateDirectory(Path.GetDirectoryName(ints)!);
        await TestParquet.WriteAsync(
            ints,
            [new DataField<long>("user_id"), new DataField<string>("item_id"), new DataField<long>("timestamp")],
            [new long[] { 1 }, new string?[] { "i" }, new long[] { T }]
        );

        var e = await Assert.ThrowsAsync<InputFormatException>(() => IngestAsync(Config(dir.Path)).WaitAsync(NoHang));

        Assert.Contains(strings, e.Message);
        Assert.Contains(ints, e.Message);
        Assert.Equal("user_id", e.Column);
    }

    /// <summary>Writes a partition whose user_id column is binary (BYTE_ARRAY without a UTF-8 annotation), one item per row.</summary>
    private static async Task<string> BinaryUsersAsync(string root, params byte[][][] rowGroups)
    {
        var path = PartitionFile(root, "2026-11-27");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var row = 0;
        await TestParquet.WriteAsync(
            path,
            [
                new DataField<byte[]>("user_id", true),
                new DataField<string>("item_id"),
                new DataField<long>("timestamp"),
            ],
            rowGroups
                .Select(g =>
                    new Array[]
                    {
                        g.Select(b => (byte[]?)b).ToArray(),
                        g.Select(_ => (string?)("i" + row++)).ToArray(),
                        g.Select(_ => T).ToArray(),
                    }
                )
                .ToArray()
        );
        return path;
    }

    [Fact]
    public async Task BinaryIdsThatAreNotUtf8_FailNamingFileRowGroupRowAndColumn_InsteadOfMergingTwoUsers()
    {
        using var dir = new TempDir();
        // 0xFF 0x41 and 0xFE 0x41 both decode to "\uFFFD" + "A" under a lenient decoder: two users would become one
        var path = await BinaryUsersAsync(
            dir.Path,
            ["u1"u8.ToArray(), "u2"u8.ToArray()],
            [
                [0xFF, 0x41],
                [0xFE, 0x41],
            ]
        );

        var e = await Assert.ThrowsAsync<InputFormatException>(() => IngestAsync(Config(dir.Path)).WaitAsync(NoHang));

        Assert.Equal((path, "user_id", 2L), (e.File, e.Column, e.Row));
        Assert.Contains(
            $"{path}: row 2, column 'user_id': the bytes 0xFF41 (row group 1) are not valid UTF-8",
            e.Message
        );
        Assert.Contains("binary (BYTE_ARRAY without a UTF-8 string annotation)", e.Message);
    }

    /// <summary>Byte strings a binary id column may hold: valid UTF-8 (one a real U+FFFD) and invalid sequences.</summary>
    private static readonly (byte[] Bytes, bool Valid)[] BinaryIds =
    [
        ("a"u8.ToArray(), true),
        ("ü"u8.ToArray(), true),
        ("\uFFFD"u8.ToArray(), true),
        ("🙂"u8.ToArray(), true),
        ("\uFFFDA"u8.ToArray(), true),
        ([0xFF, 0x41], false),
        ([0xFE, 0x41], false),
        ([0xC3], false),
        ([0xED, 0xA0, 0x80], false),
        ([0xC0, 0x80], false),
    ];

    [Property(MaxTest = 60)]
    public Property BinaryIds_AreReadLosslessly_OrFailAtTheFirstRowThatIsNotUtf8() =>
        Prop.ForAll(
            Gen.Choose(0, BinaryIds.Length - 1)
                .ListOf()
                .Where(l => l.Count > 0 && l.Count <= 12)
                .Select(l => l.ToArray())
                .ToArbitrary(),
            picks =>
                Task.Run(async () =>
                    {
                        using var dir = new TempDir();
                        var ids = picks.Select(p => BinaryIds[p]).ToArray();
                        var path = await BinaryUsersAsync(dir.Path, ids.Select(x => x.Bytes).Chunk(5).ToArray());
                        var firstBad = Array.FindIndex(ids, x => !x.Valid);

                        var run = IngestAsync(Config(dir.Path)).WaitAsync(NoHang);
                        if (firstBad >= 0)
                        {
                            var e = await Assert.ThrowsAsync<InputFormatException>(() => run);
                            Assert.Equal((path, "user_id", (long?)firstBad), (e.File, e.Column, e.Row));
                            Assert.Contains($"(row group {firstBad / 5})", e.Message);
                        }
                        else
                        {
                            var result = await run;
                            // one user per distinct byte string, each id's UTF-8 bytes exactly those of the file
                            var distinct = ids.Select(x => Convert.ToHexString(x.Bytes))
                                .Distinct()
                                .Order(StringComparer.Ordinal);
                            Assert.Equal(
                                distinct,
                                result
                                    .Snapshot!.UserIds.Ids.Select(u =>
                                        Convert.ToHexString(System.Text.Encoding.UTF8.GetBytes(u))
                                    )
                                    .Order(StringComparer.Ordinal)
                            );
                        }
                        return true;
                    })
                    .GetAwaiter()
                    .GetResult()
        );

    [Fact]
    public async Task EveryRowBad_QuarantinesAllAndFailsOverTheCeiling()
    {
        using var dir = new TempDir();
        var path = await WriteAsync(
            PartitionFile(dir.Path, "2026-11-27"),
            [
                new(null, null, null, double.NaN),
                new("", "i", T),
                new("u", "i", -1),
                new("u", "i", T, double.NegativeInfinity),
            ]
        );

        var result = await IngestAsync(Config(dir.Path)).WaitAsync(NoHang);

        Assert.Null(result.Snapshot);
        Assert.Contains(path, Assert.Single(result.Lineage.CeilingViolations));
        Assert.Equal(4, (await QuarantineAsync(result)).Count);
    }
}

/// <summary>Bad input through the whole program: exit codes, messages, and the previous outputs left published.</summary>
[Collection("hangfire")]
public sealed class BadInputRunFacts
{
    [Fact]
    public async Task Run_FailsAtIngest_AndLeavesThePreviousPartitionPublished_WhenTheInputBecomesUnreadable()
    {
        using var dir = new TempDir();
        await TinyDataset.WriteAsync(dir.Sub("input"));
        var config = TinyDataset.Config(
            dir,
            "input",
            """, "train": { "maxEpochs": 2, "evalEvery": 1, "device": "cpu" }"""
        );
        var first = await RunOnce.ExecuteAsync(config, Date, CancellationToken.None);
        Assert.True(first.Succeeded, first.Error);
        var table = Path.Combine(config.OutputDir, "recommendations");
        var published = Publisher.CurrentVersion(table, Date);

        var file = Path.Combine(dir.Sub("input"), "interactions", "dt=2026-11-27", "part-00000.parquet");
        var bytes = await File.ReadAllBytesAsync(file);
        await File.WriteAllBytesAsync(file, bytes[..(bytes.Length - 100)]);
        var second = await RunOnce.ExecuteAsync(config, Date, CancellationToken.None);

        Assert.False(second.Succeeded);
        Assert.Equal("ingest", second.FailedStage);
        Assert.True(second.IsInputError);
        Assert.Contains(file, second.Error);
        Assert.Equal(published, Publisher.CurrentVersion(table, Date));
        Assert.EndsWith(first.RunId, Publisher.CurrentVersion(Path.Combine(config.OutputDir, "metrics"), Date));
        Assert.False(File.Exists(Path.Combine(config.OutputDir, "manifests", "dt=" + Date, second.RunId + ".json")));
    }
}
