using System.Security.Cryptography;
using BatchRec.Jobs.Io;
using Parquet.Schema;
using Xunit;

namespace BatchRec.Jobs.Tests.Io;

public sealed class DatasetReaderFacts : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static Field[] LongInteractionFields() =>
        [new DataField<long>("user_id"), new DataField<long>("item_id"), new DataField<long>("timestamp")];

    private Task<string> WriteInteractionsAsync(string[] parts, long[] users, long[] items, long[] times)
    {
        var path = _dir.File(parts);
        return TestParquet.WriteAsync(path, LongInteractionFields(), [users, items, times]).ContinueWith(_ => path);
    }

    private static async Task<List<InteractionBatch>> ReadAllAsync(IReadOnlyList<InputFileInfo> files)
    {
        var batches = new List<InteractionBatch>();
        await foreach (var batch in DatasetReader.ReadInteractionsAsync(files))
            batches.Add(batch);
        return batches;
    }

    private static InputFileInfo Info(string path) => new(path, new FileInfo(path).Length, 0, null, "");

    [Fact]
    public async Task ListFiles_ReturnsFilesSortedWithPartitions_WhenFoldersAreHivePartitioned()
    {
        var second = await WriteInteractionsAsync(
            ["interactions", "dt=2024-01-02", "part-0.parquet"],
            [1, 2],
            [3, 4],
            [5, 6]
        );
        var first = await WriteInteractionsAsync(["interactions", "dt=2024-01-01", "part-1.parquet"], [1], [3], [5]);
        await File.WriteAllTextAsync(_dir.File("interactions", "_SUCCESS"), "");
        await File.WriteAllTextAsync(_dir.File("interactions", ".part-2.parquet.crc"), "x");
        await File.WriteAllTextAsync(_dir.File("interactions", "_temporary", "part-9.parquet"), "not parquet");
        await File.WriteAllTextAsync(_dir.File("interactions", ".hidden.parquet"), "not parquet");

        var files = DatasetReader.ListFiles(_dir.Path, "interactions", required: true);

        Assert.Equal([first, second], files.Select(f => f.Path));
        Assert.Equal(["2024-01-01", "2024-01-02"], files.Select(f => f.Partition));
        Assert.Equal([1L, 2L], files.Select(f => f.Rows));
        Assert.Equal(new FileInfo(second).Length, files[1].Bytes);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(second))), files[1].Sha256);
    }

    [Fact]
    public async Task ListFiles_LeavesPartitionNull_WhenPathHasNoDtFolder()
    {
        await WriteInteractionsAsync(["interactions", "part-0.parquet"], [1], [2], [3]);

        var file = Assert.Single(DatasetReader.ListFiles(_dir.Path, "interactions", required: true));

        Assert.Null(file.Partition);
        Assert.Equal(64, file.Sha256.Length);
    }

    [Fact]
    public void ListFiles_ThrowsNamingFolder_WhenRequiredFolderIsMissing()
    {
        var e = Assert.Throws<InputFormatException>(() =>
            DatasetReader.ListFiles(_dir.Path, "interactions", required: true)
        );

        Assert.Contains(Path.Combine(_dir.Path, "interactions"), e.Message);
    }

    [Fact]
    public async Task ListFiles_ThrowsNamingFolder_WhenRequiredFolderHoldsNoParquet()
    {
        await File.WriteAllTextAsync(_dir.File("interactions", "readme.txt"), "nothing here");

        var e = Assert.Throws<InputFormatException>(() =>
            DatasetReader.ListFiles(_dir.Path, "interactions", required: true)
        );

        Assert.Contains("interactions", e.Message);
        Assert.Contains("no .parquet", e.Message);
    }

    [Fact]
    public void ListFiles_ReturnsEmpty_WhenOptionalFolderIsMissing()
    {
        Assert.Empty(DatasetReader.ListFiles(_dir.Path, "users", required: false));
    }

    [Fact]
    public async Task ListFiles_Throws_WhenPartitionIsNotADate()
    {
        await WriteInteractionsAsync(["interactions", "dt=yesterday", "part-0.parquet"], [1], [2], [3]);

        var e = Assert.Throws<InputFormatException>(() =>
            DatasetReader.ListFiles(_dir.Path, "interactions", required: true)
        );

        Assert.Contains("dt=yesterday", e.Message);
    }

    [Fact]
    public async Task ListFiles_ThrowsNamingFile_WhenFileIsZeroBytes()
    {
        var path = _dir.File("interactions", "part-0.parquet");
        await File.WriteAllBytesAsync(path, []);

        var e = Assert.Throws<InputFormatException>(() =>
            DatasetReader.ListFiles(_dir.Path, "interactions", required: true)
        );

        Assert.Contains(path, e.Message);
        Assert.Equal(path, e.File);
        Assert.Contains("empty", e.Message);
    }

    [Fact]
    public async Task ReadInteractionsAsync_RoundTripsInt64Ids_WhenColumnsAreInt64()
    {
        var path = await WriteInteractionsAsync(["i.parquet"], [10, 20, 10], [7, 8, 9], [100, 200, 300]);

        var batch = Assert.Single(await ReadAllAsync([Info(path)]));

        Assert.Equal(
            (path, 0L, IdKind.Int64, IdKind.Int64),
            (batch.File, batch.FirstRow, batch.UserIdKind, batch.ItemIdKind)
        );
        Assert.Equal(["10", "20", "10"], batch.UserIds);
        Assert.Equal(["7", "8", "9"], batch.ItemIds);
        Assert.Equal([100L, 200, 300], batch.Timestamps);
        Assert.Equal([1f, 1f, 1f], batch.Weights);
        AssertEx.Strings([null, null, null], batch.EventTypes);
    }

    [Fact]
    public async Task ReadInteractionsAsync_ReadsStringIdsWeightsAndEventTypes_WhenColumnsAreStrings()
    {
        var path = _dir.File("s.parquet");
        await TestParquet.WriteAsync(
            path,
            [
                new DataField<string>("user_id"),
                new DataField<string>("item_id"),
                new DataField<long>("timestamp"),
                new DataField<double>("weight"),
                new DataField<string>("event_type"),
            ],
            [
                new[] { "u1", "u2" },
                new[] { "i1", "i-2" },
                new long[] { 5, 6 },
                new[] { 0.5, 2.0 },
                new[] { "click", null },
            ]
        );

        var batch = Assert.Single(await ReadAllAsync([Info(path)]));

        Assert.Equal((IdKind.String, IdKind.String), (batch.UserIdKind, batch.ItemIdKind));
        Assert.Equal(["u1", "u2"], batch.UserIds);
        Assert.Equal(["i1", "i-2"], batch.ItemIds);
        Assert.Equal([0.5f, 2f], batch.Weights);
        AssertEx.Strings(["click", null], batch.EventTypes);
    }

    [Fact]
    public async Task ReadInteractionsAsync_KeepsTheInt32KindAndReadsInt32Weights_WhenColumnsAreInt32()
    {
        var path = _dir.File("i32.parquet");
        await TestParquet.WriteAsync(
            path,
            [
                new DataField<int>("user_id"),
                new DataField<int>("item_id"),
                new DataField<long>("timestamp"),
                new DataField<int>("weight"),
            ],
            [new[] { 1, -2 }, new[] { 3, 4 }, new long[] { 5, 6 }, new[] { 3, 4 }]
        );

        var batch = Assert.Single(await ReadAllAsync([Info(path)]));

        Assert.Equal((IdKind.Int32, IdKind.Int32), (batch.UserIdKind, batch.ItemIdKind));
        Assert.Equal(["1", "-2"], batch.UserIds);
        Assert.Equal([3f, 4f], batch.Weights);
    }

    [Fact]
    public async Task ReadInteractionsAsync_WidensToInt64_WhenOneFileHasInt32IdsAndTheNextInt64()
    {
        var narrow = _dir.File("a.parquet");
        await TestParquet.WriteAsync(
            narrow,
            [new DataField<int>("user_id"), new DataField<int>("item_id"), new DataField<long>("timestamp")],
            [new[] { 1 }, new[] { 3 }, new long[] { 5 }]
        );
        var wide = await WriteInteractionsAsync(["b.parquet"], [5_000_000_000], [4], [6]);

        var batches = await ReadAllAsync([Info(narrow), Info(wide)]);

        Assert.Equal([IdKind.Int32, IdKind.Int64], batches.Select(b => b.UserIdKind));
        Assert.Equal(["1", "5000000000"], batches.SelectMany(b => b.UserIds));
    }

    public static TheoryData<string, Field, Array> IntegerWeights =>
        new()
        {
            { "int16", new DataField<short>("weight"), new short[] { -3, 0, 7 } },
            { "int16 nullable", new DataField<short?>("weight"), new short?[] { -3, null, 7 } },
            { "int8", new DataField<sbyte>("weight"), new sbyte[] { -3, 0, 7 } },
            { "uint8", new DataField<byte>("weight"), new byte[] { 3, 0, 7 } },
            { "uint16", new DataField<ushort>("weight"), new ushort[] { 3, 0, 7 } },
            { "uint32", new DataField<uint>("weight"), new uint[] { 3, 0, 7 } },
            { "uint64", new DataField<ulong>("weight"), new ulong[] { 3, 0, 7 } },
        };

    [Theory]
    [MemberData(nameof(IntegerWeights))]
    public async Task ReadInteractionsAsync_ReadsWeightsOfEveryIntegerType_AsTheReadmeSaysIntsAreAccepted(
        string type,
        Field weight,
        Array values
    )
    {
        var path = _dir.File(type + ".parquet");
        await TestParquet.WriteAsync(
            path,
            [.. LongInteractionFields(), weight],
            [new long[] { 1, 2, 3 }, new long[] { 4, 5, 6 }, new long[] { 7, 8, 9 }, values]
        );

        var batch = Assert.Single(await ReadAllAsync([Info(path)]));

        var expected = values
            .Cast<object?>()
            .Select(v => v is null ? 1f : Convert.ToSingle(v, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(expected, batch.Weights);
    }

    [Fact]
    public async Task ReadInteractionsAsync_ConvertsToEpochSeconds_WhenTimestampIsParquetTimestamp()
    {
        var millis = _dir.File("millis.parquet");
        var int96 = _dir.File("int96.parquet");
        var t0 = new DateTime(2024, 3, 1, 12, 0, 0, DateTimeKind.Utc);
        DateTime[] times = [t0, t0.AddSeconds(1.5), new DateTime(1969, 12, 31, 23, 59, 59, 500, DateTimeKind.Utc)];
        long s0 = new DateTimeOffset(t0).ToUnixTimeSeconds();
        await TestParquet.WriteAsync(
            millis,
            [
                new DataField<long>("user_id"),
                new DataField<long>("item_id"),
                new DateTimeDataField("timestamp", DateTimeFormat.Timestamp, true, DateTimeTimeUnit.Millis),
            ],
            [new long[] { 1, 1, 1 }, new long[] { 2, 3, 4 }, times]
        );
        await TestParquet.WriteAsync(
            int96,
            [new DataField<long>("user_id"), new DataField<long>("item_id"), new DataField<DateTime?>("timestamp")],
            [new long[] { 1 }, new long[] { 2 }, new DateTime?[] { t0 }]
        );

        var batches = await ReadAllAsync([Info(millis), Info(int96)]);

        Assert.Equal([s0, s0 + 1, -1], batches[0].Timestamps);
        Assert.Equal([s0], batches[1].Timestamps);
    }

    [Fact]
    public async Task ReadInteractionsAsync_YieldsOneBatchPerRowGroup_WhenFileHasSeveralRowGroups()
    {
        var path = _dir.File("multi.parquet");
        await TestParquet.WriteAsync(
            path,
            LongInteractionFields(),
            [new long[] { 1, 2 }, new long[] { 3, 4 }, new long[] { 5, 6 }],
            [new long[] { 7, 8, 9 }, new long[] { 10, 11, 12 }, new long[] { 13, 14, 15 }],
            [new long[] { 16 }, new long[] { 17 }, new long[] { 18 }]
        );

        var batches = await ReadAllAsync([Info(path)]);

        Assert.Equal([0L, 2, 5], batches.Select(b => b.FirstRow));
        Assert.Equal([2, 3, 1], batches.Select(b => b.Count));
        Assert.Equal(["7", "8", "9"], batches[1].UserIds);
        Assert.Equal([18L], batches[2].Timestamps);
    }

    [Fact]
    public async Task ReadInteractionsAsync_ThrowsNamingFileAndColumn_WhenRequiredColumnIsMissing()
    {
        var path = _dir.File("no-ts.parquet");
        await TestParquet.WriteAsync(
            path,
            [new DataField<long>("user_id"), new DataField<long>("item_id")],
            [new long[] { 1 }, new long[] { 2 }]
        );

        var e = await Assert.ThrowsAsync<InputFormatException>(() => ReadAllAsync([Info(path)]));

        Assert.Contains("no-ts.parquet", e.Message);
        Assert.Contains("'timestamp'", e.Message);
        Assert.Contains("missing", e.Message);
        Assert.Equal("timestamp", e.Column);
    }

    [Fact]
    public async Task ReadInteractionsAsync_ThrowsNamingExpectedAndFoundType_WhenUserIdIsDouble()
    {
        var path = _dir.File("double-ids.parquet");
        await TestParquet.WriteAsync(
            path,
            [new DataField<double>("user_id"), new DataField<long>("item_id"), new DataField<long>("timestamp")],
            [new[] { 1.0 }, new long[] { 2 }, new long[] { 3 }]
        );

        var e = await Assert.ThrowsAsync<InputFormatException>(() => ReadAllAsync([Info(path)]));

        Assert.Contains("double-ids.parquet", e.Message);
        Assert.Contains("'user_id'", e.Message);
        Assert.Contains("expected string, int64 or int32", e.Message);
        Assert.Contains("found double", e.Message);
    }

    [Fact]
    public async Task ReadInteractionsAsync_ThrowsNamingFile_WhenFileIsZeroBytes()
    {
        var path = _dir.File("empty.parquet");
        await File.WriteAllBytesAsync(path, []);

        var e = await Assert.ThrowsAsync<InputFormatException>(() => ReadAllAsync([Info(path)]));

        Assert.Contains("empty.parquet", e.Message);
    }

    [Fact]
    public async Task ReadInteractionsAsync_ThrowsNamingFile_WhenFileIsNotParquet()
    {
        var path = _dir.File("ratings.parquet");
        await File.WriteAllTextAsync(path, "userId,movieId,rating,timestamp\n1,2,3.5,4\n");

        var e = await Assert.ThrowsAsync<InputFormatException>(() => ReadAllAsync([Info(path)]));

        Assert.Contains("ratings.parquet", e.Message);
        Assert.Contains("not a Parquet file", e.Message);
    }

    [Fact]
    public async Task ReadInteractionsAsync_ThrowsNamingFileRowAndColumn_WhenIdIsNull()
    {
        var path = _dir.File("null-id.parquet");
        Field[] fields =
        [
            new DataField<long?>("user_id"),
            new DataField<long>("item_id"),
            new DataField<long>("timestamp"),
        ];
        await TestParquet.WriteAsync(
            path,
            fields,
            [new long?[] { 1, 2 }, new long[] { 1, 2 }, new long[] { 1, 2 }],
            [new long?[] { 3, null, 5 }, new long[] { 3, 4, 5 }, new long[] { 3, 4, 5 }]
        );

        var e = await Assert.ThrowsAsync<InputFormatException>(() => ReadAllAsync([Info(path)]));

        Assert.Contains("null-id.parquet", e.Message);
        Assert.Contains("row 3", e.Message);
        Assert.Contains("'user_id'", e.Message);
        Assert.Equal(3L, e.Row);
    }

    [Fact]
    public async Task ReadInteractionsAsync_ReadsNullableColumnsAndTakesNullWeightAsOne_WhenIdsHoldNoNulls()
    {
        var path = _dir.File("nullable.parquet");
        await TestParquet.WriteAsync(
            path,
            [
                new DataField<long?>("user_id"),
                new DataField<string>("item_id"),
                new DataField<long?>("timestamp"),
                new DataField<float?>("weight"),
            ],
            [new long?[] { 1, 2 }, new[] { "a", "b" }, new long?[] { 3, 4 }, new float?[] { null, 2.5f }]
        );

        var batch = Assert.Single(await ReadAllAsync([Info(path)]));

        Assert.Equal(["1", "2"], batch.UserIds);
        Assert.Equal([3L, 4], batch.Timestamps);
        Assert.Equal([1f, 2.5f], batch.Weights);
    }

    [Fact]
    public async Task ReadInteractionRowsAsync_KeepsNullsInPlace_AndReturnsIntegerTimesUnconverted()
    {
        var path = _dir.File("rows.parquet");
        await TestParquet.WriteAsync(
            path,
            [
                new DataField<long?>("user_id"),
                new DataField<string>("item_id"),
                new DataField<long?>("timestamp"),
                new DataField<double?>("weight"),
                new DataField<string>("event_type"),
                new DataField<string>("referrer"),
            ],
            [
                new long?[] { 1, null },
                new[] { "a", null },
                new long?[] { 1_700_000_000_123, null },
                new double?[] { double.NaN, null },
                new[] { "click", null },
                new[] { "x", "y" },
            ],
            [
                new long?[] { 3 },
                new[] { "" },
                new long?[] { -4 },
                new double?[] { 2 },
                new string?[] { null },
                new[] { "z" },
            ]
        );

        var batches = new List<InteractionRowBatch>();
        await foreach (var b in DatasetReader.ReadInteractionRowsAsync([Info(path)]))
            batches.Add(b);

        Assert.Equal([0L, 2], batches.Select(b => b.FirstRow));
        AssertEx.Strings(["1", null], batches[0].UserIds);
        AssertEx.Strings(["a", null], batches[0].ItemIds);
        Assert.Equal([1_700_000_000_123L, null], batches[0].Times);
        Assert.False(batches[0].TimesAreEpochSeconds);
        Assert.True(float.IsNaN(batches[0].Weights[0]));
        Assert.Equal(1f, batches[0].Weights[1]); // a null weight reads as 1
        AssertEx.Strings(["click", null], batches[0].EventTypes);
        Assert.Equal(["referrer"], batches[0].ExtraColumns);
        AssertEx.Strings([""], batches[1].ItemIds);
        Assert.Equal([-4L], batches[1].Times);
    }

    [Fact]
    public async Task ReadInteractionRowsAsync_GivesEpochSeconds_WhenTimestampIsParquetTimestamp()
    {
        var path = _dir.File("ts.parquet");
        await TestParquet.WriteAsync(
            path,
            [new DataField<string>("user_id"), new DataField<string>("item_id"), new DataField<DateTime?>("timestamp")],
            [
                new[] { "u", "v" },
                new[] { "i", "j" },
                new DateTime?[] { new DateTime(2020, 9, 13, 12, 26, 40, DateTimeKind.Utc), null },
            ]
        );

        var batch = Assert.Single(await ToListAsync(DatasetReader.ReadInteractionRowsAsync([Info(path)])));

        Assert.True(batch.TimesAreEpochSeconds);
        Assert.Equal([1_600_000_000L, null], batch.Times);
    }

    [Fact]
    public async Task ReadInteractionRowsAsync_ThrowsNamingFileColumnExpectedAndFound_WhenTimestampIsString()
    {
        var path = _dir.File("bad-ts.parquet");
        await TestParquet.WriteAsync(
            path,
            [new DataField<string>("user_id"), new DataField<string>("item_id"), new DataField<string>("timestamp")],
            [new[] { "u" }, new[] { "i" }, new[] { "2026-11-27" }]
        );

        var e = await Assert.ThrowsAsync<InputFormatException>(() =>
            ToListAsync(DatasetReader.ReadInteractionRowsAsync([Info(path)]))
        );

        Assert.Contains(path, e.Message);
        Assert.Equal("timestamp", e.Column);
        Assert.Contains("expected int64 epoch seconds or timestamp, found string", e.Message);
    }

    private static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var item in items)
            list.Add(item);
        return list;
    }

    [Fact]
    public async Task ReadInteractionsAsync_ThrowsNamingBothFiles_WhenIdKindsDisagree()
    {
        var ints = await WriteInteractionsAsync(["a.parquet"], [1], [2], [3]);
        var strings = _dir.File("b.parquet");
        await TestParquet.WriteAsync(
            strings,
            [new DataField<string>("user_id"), new DataField<long>("item_id"), new DataField<long>("timestamp")],
            [new[] { "u" }, new long[] { 2 }, new long[] { 3 }]
        );

        var seen = new List<InteractionBatch>();
        var e = await Assert.ThrowsAsync<InputFormatException>(async () =>
        {
            await foreach (var batch in DatasetReader.ReadInteractionsAsync([Info(ints), Info(strings)]))
                seen.Add(batch);
        });

        Assert.Contains(ints, e.Message);
        Assert.Contains(strings, e.Message);
        Assert.Equal([ints], seen.Select(b => b.File));
    }

    [Fact]
    public async Task ReadItemsAsync_ReadsTitlesTextsAndListTags_WhenTagsIsListOfStrings()
    {
        var path = _dir.File("items.parquet");
        await TestParquet.WriteAsync(
            path,
            [
                new DataField<long>("item_id"),
                new DataField<string>("title"),
                new DataField<string>("text"),
                new ListField("tags", new DataField<string>("element")),
            ],
            [
                new long[] { 1, 2, 3, 4 },
                new[] { "One", null, "Three", "Four" },
                new[] { null, "two", null, null },
                new string?[]?[] { [" Comedy", "Drama "], [], null, ["", null, "Noir"] },
            ]
        );

        var items = await DatasetReader.ReadItemsAsync([Info(path)]);

        Assert.Equal(IdKind.Int64, items.ItemIdKind);
        Assert.Equal(["1", "2", "3", "4"], items.ItemIds);
        AssertEx.Strings(["One", null, "Three", "Four"], items.Titles);
        AssertEx.Strings([null, "two", null, null], items.Texts);
        Assert.Equal(
            [
                ["Comedy", "Drama"],
                [],
                [],
                ["Noir"],
            ],
            items.Tags
        );
    }

    [Fact]
    public async Task ReadItemsAsync_SplitsTrimsAndDropsEmpty_WhenTagsIsPipeJoinedString()
    {
        var path = _dir.File("items.parquet");
        await TestParquet.WriteAsync(
            path,
            [new DataField<string>("item_id"), new DataField<string>("tags")],
            [new[] { "a", "b", "c" }, new[] { "Action| Sci-Fi ||", null, "" }]
        );

        var items = await DatasetReader.ReadItemsAsync([Info(path)]);

        Assert.Equal(IdKind.String, items.ItemIdKind);
        Assert.Equal(
            [
                ["Action", "Sci-Fi"],
                [],
                [],
            ],
            items.Tags
        );
        AssertEx.Strings([null, null, null], items.Titles);
    }

    [Fact]
    public async Task ReadItemsAsync_ConcatenatesFilesAndGivesEmptyTags_WhenTagsColumnIsAbsent()
    {
        var first = _dir.File("items", "part-0.parquet");
        var second = _dir.File("items", "part-1.parquet");
        await TestParquet.WriteAsync(first, [new DataField<long>("item_id")], [new long[] { 1, 2 }]);
        await TestParquet.WriteAsync(second, [new DataField<long>("item_id")], [new long[] { 3 }]);

        var items = await DatasetReader.ReadItemsAsync(DatasetReader.ListFiles(_dir.Path, "items", required: true));

        Assert.Equal(["1", "2", "3"], items.ItemIds);
        Assert.All(items.Tags, Assert.Empty);
    }

    [Fact]
    public async Task ReadItemsAsync_ThrowsNamingColumn_WhenTagsIsListOfNumbers()
    {
        var path = _dir.File("items.parquet");
        await TestParquet.WriteAsync(
            path,
            [new DataField<long>("item_id"), new DataField<double>("tags")],
            [new long[] { 1 }, new[] { 2.0 }]
        );

        var e = await Assert.ThrowsAsync<InputFormatException>(() => DatasetReader.ReadItemsAsync([Info(path)]));

        Assert.Contains("'tags'", e.Message);
        Assert.Contains("found double", e.Message);
    }

    [Fact]
    public async Task ReadUsersAsync_ReadsIdsAndTexts_WhenTextIsPresent()
    {
        var path = _dir.File("users.parquet");
        await TestParquet.WriteAsync(
            path,
            [new DataField<string>("user_id"), new DataField<string>("text")],
            [new[] { "alice", "bob" }, new[] { "likes jazz", null }]
        );

        var users = await DatasetReader.ReadUsersAsync([Info(path)]);

        Assert.Equal(IdKind.String, users.UserIdKind);
        Assert.Equal(["alice", "bob"], users.UserIds);
        AssertEx.Strings(["likes jazz", null], users.Texts);
    }

    [Fact]
    public async Task ReadUsersAsync_ReturnsNoRows_WhenThereAreNoFiles()
    {
        var users = await DatasetReader.ReadUsersAsync([]);

        Assert.Empty(users.UserIds);
        Assert.Empty(users.Texts);
    }
}
