using System.Globalization;
using BatchRec.Core;
using BatchRec.Jobs.Io;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Parquet;
using Xunit;

namespace BatchRec.Jobs.Tests.Io;

public sealed class RecommendationWriterFacts : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static OutputIds Ids(IdKind kind, params string[] ids) =>
        OutputIds.Of(IdMapModule.ofIds(ids), kind, "test");

    [Fact]
    public async Task WriteAsync_WritesOneRowGroupPerCallWithInt64Ids_WhenKindsAreInt64()
    {
        var path = _dir.File("out", "recommendations.parquet");
        var users = Ids(IdKind.Int64, "1", "-2"); // canonical order: -2, 1
        var items = Ids(IdKind.Int64, "3", "4", "5", "10", "11", "12");

        await using (var writer = await RecommendationWriter.CreateAsync(path, IdKind.Int64, IdKind.Int64))
        {
            await writer.WriteAsync(
                users,
                [1, 1],
                [1, 2],
                items,
                [3, 4],
                [0.9f, 0.8f],
                [0, 1],
                "embedding-cosine",
                [false, true],
                "lightgcn",
                "run-1"
            );
            await writer.WriteAsync(
                users,
                [0],
                [1],
                items,
                [5],
                [0.5f],
                [2],
                "embedding-cosine",
                [false],
                "lightgcn",
                "run-1"
            );
            await writer.WriteAsync(
                users,
                [],
                [],
                items,
                [],
                [],
                Array.Empty<int>(),
                "embedding-cosine",
                [],
                "lightgcn",
                "run-1"
            );
            Assert.Equal(3, writer.Rows);
        }
        var read = await ColumnarFile.ReadAsync(path);

        var sizes = await TestParquet.RowGroupSizesAsync(path);
        Assert.Equal([2L, 1], sizes);
        Assert.Equal(
            ["user_id", "rank", "item_id", "score", "model", "run_id", "reason_item_id", "reason_kind", "cold_start"],
            read.Keys
        );
        Assert.Equal([1L, 1, -2], Assert.IsType<long[]>(read["user_id"]));
        Assert.Equal([1, 2, 1], Assert.IsType<int[]>(read["rank"]));
        Assert.Equal([10L, 11, 12], Assert.IsType<long[]>(read["item_id"]));
        Assert.Equal([0.9f, 0.8f, 0.5f], Assert.IsType<float[]>(read["score"]));
        Assert.Equal(["lightgcn", "lightgcn", "lightgcn"], Assert.IsType<string[]>(read["model"]));
        Assert.Equal(["run-1", "run-1", "run-1"], Assert.IsType<string[]>(read["run_id"]));
        Assert.Equal([3L, 4, 5], Assert.IsType<long[]>(read["reason_item_id"]));
        Assert.Equal(
            ["embedding-cosine", "embedding-cosine", "embedding-cosine"],
            Assert.IsType<string[]>(read["reason_kind"])
        );
        Assert.Equal([false, true, false], Assert.IsType<bool[]>(read["cold_start"]));
    }

    [Fact]
    public async Task WriteAsync_KeepsIdsAsStrings_WhenKindsAreString()
    {
        var path = _dir.File("recommendations.parquet");

        await using (var writer = await RecommendationWriter.CreateAsync(path, IdKind.String, IdKind.Int64))
            await writer.WriteAsync(
                Ids(IdKind.String, "alice", "007"),
                [1, 0],
                [1, 1],
                Ids(IdKind.Int64, "5", "6"),
                [0, 1],
                [1f, 2f],
                [1, 0],
                "embedding-cosine",
                [false, false],
                "pop",
                "r"
            );
        var read = await ColumnarFile.ReadAsync(path);

        Assert.Equal(["alice", "007"], Assert.IsType<string[]>(read["user_id"]));
        Assert.Equal([5L, 6], Assert.IsType<long[]>(read["item_id"]));
        Assert.Equal([6L, 5], Assert.IsType<long[]>(read["reason_item_id"]));
    }

    [Fact]
    public async Task WriteAsync_Throws_WhenArrayLengthsDiffer()
    {
        var ids = Ids(IdKind.String, "a", "b", "c", "d");
        await using var writer = await RecommendationWriter.CreateAsync(
            _dir.File("r.parquet"),
            IdKind.String,
            IdKind.String
        );

        await Assert.ThrowsAsync<ArgumentException>(() =>
            writer.WriteAsync(ids, [0, 1], [1], ids, [2, 3], [1f, 2f], [2, 2], "none", [false, false], "m", "r")
        );
    }

    [Fact]
    public async Task WriteAsync_Throws_WhenTheIdTablesAreOfAnotherKindThanTheFile()
    {
        await using var writer = await RecommendationWriter.CreateAsync(
            _dir.File("r.parquet"),
            IdKind.Int64,
            IdKind.Int64
        );

        await Assert.ThrowsAsync<ArgumentException>(() =>
            writer.WriteAsync(
                Ids(IdKind.String, "1"),
                [0],
                [1],
                Ids(IdKind.Int64, "1"),
                [0],
                [1f],
                [0],
                "none",
                [false],
                "m",
                "r"
            )
        );
    }

    [Theory]
    [InlineData(IdKind.Int64, IdKind.Int64)]
    [InlineData(IdKind.String, IdKind.Int64)]
    [InlineData(IdKind.String, IdKind.String)]
    [InlineData(IdKind.Int32, IdKind.Int32)]
    [InlineData(IdKind.Int32, IdKind.String)]
    public async Task WriteAsync_GathersEveryIdColumnFromItsIndices_NullWhereNoReason(IdKind userKind, IdKind itemKind)
    {
        var users = IdMapModule.ofIds(IdKinds.IsInteger(userKind) ? ["7", "-2", "31"] : ["alice", "007", "bob"]);
        var items = IdMapModule.ofIds(["10", "11", "12", "5"]); // canonical order: 5, 10, 11, 12
        var path = _dir.File("r.parquet");

        await using (var writer = await RecommendationWriter.CreateAsync(path, userKind, itemKind))
            await writer.WriteAsync(
                OutputIds.Of(users, userKind, "user"),
                [2, 2, 0, 1],
                [1, 2, 1, 1],
                OutputIds.Of(items, itemKind, "item"),
                [1, 3, 0, 2],
                [0.9f, 0.8f, 0.5f, 0.1f],
                [0, -1, 3, 2],
                "embedding-cosine",
                [false, true, false, false],
                "gat-text",
                "run-9"
            );

        var columns = (await ReadColumnsAsync(path)).ToDictionary(
            c => c.Name,
            c => c.Values.Cast<object?>().Select(v => v?.ToString()).ToList().AsEnumerable()
        );
        Assert.Equal(
            ["user_id", "rank", "item_id", "score", "model", "run_id", "reason_item_id", "reason_kind", "cold_start"],
            columns.Keys
        );
        Assert.Equal(
            IdKinds.IsInteger(userKind) ? ["31", "31", "-2", "7"] : ["bob", "bob", "007", "alice"],
            columns["user_id"]
        );
        Assert.Equal(["10", "12", "5", "11"], columns["item_id"]);
        Assert.Equal(["5", null, "12", "11"], columns["reason_item_id"]);
        Assert.Equal(["gat-text", "gat-text", "gat-text", "gat-text"], columns["model"]);
        Assert.Equal(["False", "True", "False", "False"], columns["cold_start"]);
        // the id columns keep the kind's Parquet type
        await using var reader = await Parquet.ParquetReader.CreateAsync(path);
        string Clr(Type t) =>
            t == typeof(long) ? "int64"
            : t == typeof(int) ? "int32"
            : t == typeof(string) || t == typeof(ReadOnlyMemory<char>) ? "string"
            : t.Name;
        string Expected(IdKind kind) =>
            kind switch
            {
                IdKind.Int64 => "int64",
                IdKind.Int32 => "int32",
                _ => "string",
            };
        var fields = reader.Schema.DataFields.ToDictionary(f => f.Name, f => Clr(f.ClrType));
        Assert.Equal(
            (Expected(userKind), Expected(itemKind), Expected(itemKind)),
            (fields["user_id"], fields["item_id"], fields["reason_item_id"])
        );
    }

    [Fact]
    public void Of_RefusesAnIdOutsideInt32_WhenTheTableStoresInt32Ids()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            OutputIds.Of(IdMapModule.ofIds(["1", "2147483648"]), IdKind.Int32, "user")
        );
        Assert.Contains("'2147483648'", e.Message);
        Assert.Contains("int32", e.Message);
    }

    /// <summary>Every column of a file as a list of values (nulls kept), through Parquet.Net's untyped reader.</summary>
    private static async Task<List<(string Name, Array Values)>> ReadColumnsAsync(string path)
    {
        await using var stream = File.OpenRead(path);
        var table = await Parquet.Serialization.ParquetSerializer.DeserializeUntypedAsync(stream);
        var rows = table.Data;
        var names = table.Schema.GetDataFields().Select(f => f.Name).ToList();
        return names.Select(k => (k, (Array)rows.Select(r => r.GetValueOrDefault(k)).ToArray())).ToList(); // a null is left out of its row
    }

    [Fact]
    public async Task WriteAsync_WaitsForReasonsStillBeingComputed_AndWritesTheSameTable()
    {
        var users = OutputIds.Of(IdMapModule.ofIds(["1", "2"]), IdKind.Int64, "user");
        var items = OutputIds.Of(IdMapModule.ofIds(["10", "11", "12"]), IdKind.Int64, "item");
        var now = _dir.File("now.parquet");
        var later = _dir.File("later.parquet");
        await using (var writer = await RecommendationWriter.CreateAsync(now, IdKind.Int64, IdKind.Int64))
            await writer.WriteAsync(
                users,
                [0, 1],
                [1, 1],
                items,
                [2, 0],
                [0.5f, 0.25f],
                [1, -1],
                "embedding-cosine",
                [false, true],
                "m",
                "r"
            );
        var reasons = new TaskCompletionSource<int[]>(TaskCreationOptions.RunContinuationsAsynchronously);

        await using (var writer = await RecommendationWriter.CreateAsync(later, IdKind.Int64, IdKind.Int64))
        {
            var write = writer.WriteAsync(
                users,
                [0, 1],
                [1, 1],
                items,
                [2, 0],
                [0.5f, 0.25f],
                reasons.Task,
                "embedding-cosine",
                [false, true],
                "m",
                "r"
            );
            await Task.Delay(50);
            Assert.False(write.IsCompleted); // the row group cannot finish without its reasons
            reasons.SetResult([1, -1]);
            await write;
            Assert.Equal(2, writer.Rows);
        }

        Assert.Equal(
            (await ReadColumnsAsync(now)).SelectMany(c => c.Values.Cast<object?>()),
            (await ReadColumnsAsync(later)).SelectMany(c => c.Values.Cast<object?>())
        );
    }

    /// <summary>Ids as the int64 parser meets them: numbers of every length up to and past the int64 range, signs, leading zeros and junk.</summary>
    private static Arbitrary<string> IdStrings()
    {
        var digits = Gen.Choose(0, 25)
            .SelectMany(n => Gen.ArrayOf(Gen.Elements('0', '1', '5', '9'), n))
            .Select(cs => new string(cs));
        var sign = Gen.Elements("", "", "-", "+", "--", " ");
        var extreme = Gen.Elements(
            long.MaxValue.ToString(CultureInfo.InvariantCulture),
            long.MinValue.ToString(CultureInfo.InvariantCulture),
            "9223372036854775808",
            "-9223372036854775809",
            "0",
            "-0",
            "+0",
            "007",
            "1e3",
            "12 ",
            "x7",
            "",
            "٣"
        );
        var mixed = sign.SelectMany(s => digits.Select(d => s + d));
        return Gen.Frequency((4, mixed), (1, extreme)).ToArbitrary();
    }

    [Property(MaxTest = 2000)]
    public Property TryParseInt64_AgreesWithLongTryParse_OnAnyId() => Prop.ForAll(IdStrings(), s =>
        {
            var ok = OutputIds.TryParseInt64(s, out var v);
            var expectedOk = long.TryParse(
                s,
                NumberStyles.AllowLeadingSign,
                CultureInfo.InvariantCulture,
                out var expected
            );
            return ok == expectedOk && (!ok || v == expected);
        });

    [Fact]
    public void OutputIds_ThrowsNamingTheId_WhenAnInt64TableGetsAStringId()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            OutputIds.Of(IdMapModule.ofIds(["1", "x7"]), IdKind.Int64, "user")
        );

        Assert.Contains("user id 'x7'", e.Message);
    }

    [Fact]
    public async Task WriteAsync_StillWaitsForTheReasons_WhenItFailsBeforeAwaitingThem()
    {
        var items = OutputIds.Of(IdMapModule.ofIds(["1", "2"]), IdKind.Int64, "item");
        await using var writer = await RecommendationWriter.CreateAsync(
            _dir.File("r.parquet"),
            IdKind.Int64,
            IdKind.Int64
        );
        var reasons = new TaskCompletionSource<int[]>(TaskCreationOptions.RunContinuationsAsynchronously);

        // item index 2 is outside the two items: the call fails before it reaches the reasons
        var write = writer.WriteAsync(items, [0], [1], items, [2], [1f], reasons.Task, "none", [false], "m", "r");
        await Task.Delay(50);
        Assert.False(write.IsCompleted);
        reasons.SetException(new InvalidOperationException("the reasons failed too"));

        var e = await Assert.ThrowsAsync<ArgumentException>(() => write);
        Assert.Contains("item index 2", e.Message);
    }

    [Fact]
    public async Task WriteAsync_Throws_WhenAnIndexIsOutsideTheIdTables()
    {
        var items = OutputIds.Of(IdMapModule.ofIds(["1", "2"]), IdKind.Int64, "item");
        await using var writer = await RecommendationWriter.CreateAsync(
            _dir.File("r.parquet"),
            IdKind.Int64,
            IdKind.Int64
        );

        await Assert.ThrowsAsync<ArgumentException>(() =>
            writer.WriteAsync(items, [0], [1], items, [2], [1f], [-1], "none", [false], "m", "r")
        );
        await Assert.ThrowsAsync<ArgumentException>(() =>
            writer.WriteAsync(items, [0], [1], items, [1], [1f], [-2], "none", [false], "m", "r")
        );
        Assert.Equal(0, writer.Rows);
    }

    [Fact]
    public async Task DisposeAsync_LeavesReadableEmptyFile_WhenNothingWasWritten()
    {
        var path = _dir.File("r.parquet");

        await (await RecommendationWriter.CreateAsync(path, IdKind.String, IdKind.String)).DisposeAsync();

        await using var reader = await ParquetReader.CreateAsync(path);
        Assert.Equal(0, reader.RowGroupCount);
        Assert.Equal(9, reader.Schema.Fields.Count);
    }
}
