using BatchRec.Core;
using BatchRec.Jobs.Io;
using Parquet;
using Xunit;

namespace BatchRec.Jobs.Tests.Io;

public sealed class RecommendationWriterFacts : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task WriteAsync_WritesOneRowGroupPerCallWithInt64Ids_WhenKindsAreInt64()
    {
        var path = _dir.File("out", "recommendations.parquet");

        await using (var writer = await RecommendationWriter.CreateAsync(path, IdKind.Int64, IdKind.Int64))
        {
            await writer.WriteAsync(["1", "1"], [1, 2], ["10", "11"], [0.9f, 0.8f], ["3", "4"], "embedding-cosine", [false, true], "lightgcn", "run-1");
            await writer.WriteAsync(["-2"], [1], ["12"], [0.5f], ["5"], "embedding-cosine", [false], "lightgcn", "run-1");
            await writer.WriteAsync([], [], [], [], [], "embedding-cosine", [], "lightgcn", "run-1");
            Assert.Equal(3, writer.Rows);
        }
        var read = await ColumnarFile.ReadAsync(path);

        var sizes = await TestParquet.RowGroupSizesAsync(path);
        Assert.Equal([2L, 1], sizes);
        Assert.Equal(["user_id", "rank", "item_id", "score", "model", "run_id", "reason_item_id", "reason_kind", "cold_start"], read.Keys);
        Assert.Equal([1L, 1, -2], Assert.IsType<long[]>(read["user_id"]));
        Assert.Equal([1, 2, 1], Assert.IsType<int[]>(read["rank"]));
        Assert.Equal([10L, 11, 12], Assert.IsType<long[]>(read["item_id"]));
        Assert.Equal([0.9f, 0.8f, 0.5f], Assert.IsType<float[]>(read["score"]));
        Assert.Equal(["lightgcn", "lightgcn", "lightgcn"], Assert.IsType<string[]>(read["model"]));
        Assert.Equal(["run-1", "run-1", "run-1"], Assert.IsType<string[]>(read["run_id"]));
        Assert.Equal([3L, 4, 5], Assert.IsType<long[]>(read["reason_item_id"]));
        Assert.Equal([false, true, false], Assert.IsType<bool[]>(read["cold_start"]));
    }

    [Fact]
    public async Task WriteAsync_KeepsIdsAsStrings_WhenKindsAreString()
    {
        var path = _dir.File("recommendations.parquet");

        await using (var writer = await RecommendationWriter.CreateAsync(path, IdKind.String, IdKind.Int64))
            await writer.WriteAsync(["alice", "007"], [1, 1], ["5", "6"], [1f, 2f], ["1", "2"], "embedding-cosine", [false, false], "pop", "r");
        var read = await ColumnarFile.ReadAsync(path);

        Assert.Equal(["alice", "007"], Assert.IsType<string[]>(read["user_id"]));
        Assert.Equal([5L, 6], Assert.IsType<long[]>(read["item_id"]));
    }

    [Fact]
    public async Task WriteAsync_ThrowsNamingId_WhenInt64IdDoesNotParse()
    {
        await using var writer = await RecommendationWriter.CreateAsync(_dir.File("r.parquet"), IdKind.Int64, IdKind.Int64);

        var e = await Assert.ThrowsAsync<ArgumentException>(() => writer.WriteAsync(["1"], [1], ["x7"], [1f], ["1"], "none", [false], "m", "r"));

        Assert.Contains("'x7'", e.Message);
    }

    [Fact]
    public async Task WriteAsync_Throws_WhenArrayLengthsDiffer()
    {
        await using var writer = await RecommendationWriter.CreateAsync(_dir.File("r.parquet"), IdKind.String, IdKind.String);

        await Assert.ThrowsAsync<ArgumentException>(() => writer.WriteAsync(["a", "b"], [1], ["c", "d"], [1f, 2f], ["c", "c"], "none", [false, false], "m", "r"));
    }

    [Theory]
    [InlineData(IdKind.Int64, IdKind.Int64)]
    [InlineData(IdKind.String, IdKind.Int64)]
    [InlineData(IdKind.String, IdKind.String)]
    public async Task WriteAsync_FromIndices_WritesTheSameTableAsFromIdStrings(IdKind userKind, IdKind itemKind)
    {
        var users = IdMapModule.ofIds(userKind == IdKind.Int64 ? ["7", "-2", "31"] : ["alice", "007", "bob"]);
        var items = IdMapModule.ofIds(["10", "11", "12", "5"]);
        int[] userRows = [2, 2, 0, 1], itemRows = [1, 3, 0, 2], reasonRows = [0, -1, 3, 2];
        int[] ranks = [1, 2, 1, 1];
        float[] scores = [0.9f, 0.8f, 0.5f, 0.1f];
        bool[] cold = [false, true, false, false];
        var fromStrings = _dir.File("strings.parquet");
        var fromIndices = _dir.File("indices.parquet");

        await using (var writer = await RecommendationWriter.CreateAsync(fromStrings, userKind, itemKind))
            await writer.WriteAsync(userRows.Select(users.Id).ToArray(), ranks, itemRows.Select(items.Id).ToArray(), scores,
                reasonRows.Select(r => r < 0 ? null : items.Id(r)).ToArray(), "embedding-cosine", cold, "gat-text", "run-9");
        await using (var writer = await RecommendationWriter.CreateAsync(fromIndices, userKind, itemKind))
        {
            await writer.WriteAsync(OutputIds.Of(users, userKind, "user"), userRows, ranks, OutputIds.Of(items, itemKind, "item"), itemRows, scores,
                reasonRows, "embedding-cosine", cold, "gat-text", "run-9");
            Assert.Equal(4, writer.Rows);
        }

        var expected = await ReadColumnsAsync(fromStrings);
        var actual = await ReadColumnsAsync(fromIndices);
        Assert.Equal(9, actual.Count);
        Assert.Equal(expected.Select(c => c.Name), actual.Select(c => c.Name));
        foreach (var (e, a) in expected.Zip(actual))
            Assert.Equal(e.Values.Cast<object?>(), a.Values.Cast<object?>());
        var reasons = actual.Single(c => c.Name == "reason_item_id").Values.Cast<object?>().Select(v => v?.ToString());
        Assert.Equal(["5", null, "12", "11"], reasons); // items in canonical order 5, 10, 11, 12
        var userIds = actual.Single(c => c.Name == "user_id").Values.Cast<object?>().Select(v => v?.ToString());
        Assert.Equal(userKind == IdKind.Int64 ? ["31", "31", "-2", "7"] : ["bob", "bob", "007", "alice"], userIds);
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
            await writer.WriteAsync(users, [0, 1], [1, 1], items, [2, 0], [0.5f, 0.25f], [1, -1], "embedding-cosine", [false, true], "m", "r");
        var reasons = new TaskCompletionSource<int[]>(TaskCreationOptions.RunContinuationsAsynchronously);

        await using (var writer = await RecommendationWriter.CreateAsync(later, IdKind.Int64, IdKind.Int64))
        {
            var write = writer.WriteAsync(users, [0, 1], [1, 1], items, [2, 0], [0.5f, 0.25f], reasons.Task, "embedding-cosine", [false, true], "m", "r");
            await Task.Delay(50);
            Assert.False(write.IsCompleted); // the row group cannot finish without its reasons
            reasons.SetResult([1, -1]);
            await write;
            Assert.Equal(2, writer.Rows);
        }

        Assert.Equal((await ReadColumnsAsync(now)).SelectMany(c => c.Values.Cast<object?>()), (await ReadColumnsAsync(later)).SelectMany(c => c.Values.Cast<object?>()));
    }

    [Fact]
    public void OutputIds_ThrowsNamingTheId_WhenAnInt64TableGetsAStringId()
    {
        var e = Assert.Throws<ArgumentException>(() => OutputIds.Of(IdMapModule.ofIds(["1", "x7"]), IdKind.Int64, "user"));

        Assert.Contains("user id 'x7'", e.Message);
    }

    [Fact]
    public async Task WriteAsync_FromIndices_Throws_WhenAnIndexIsOutsideTheIdTables()
    {
        var items = OutputIds.Of(IdMapModule.ofIds(["1", "2"]), IdKind.Int64, "item");
        await using var writer = await RecommendationWriter.CreateAsync(_dir.File("r.parquet"), IdKind.Int64, IdKind.Int64);

        await Assert.ThrowsAsync<ArgumentException>(() => writer.WriteAsync(items, [0], [1], items, [2], [1f], [-1], "none", [false], "m", "r"));
        await Assert.ThrowsAsync<ArgumentException>(() => writer.WriteAsync(items, [0], [1], items, [1], [1f], [-2], "none", [false], "m", "r"));
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
