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
