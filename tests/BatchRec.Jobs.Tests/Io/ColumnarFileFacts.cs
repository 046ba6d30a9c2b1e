using BatchRec.Jobs.Io;
using Xunit;

namespace BatchRec.Jobs.Tests.Io;

public sealed class ColumnarFileFacts : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task ReadAsync_ReturnsEveryColumnWithItsElementType_WhenWrittenInSeveralRowGroups()
    {
        var path = _dir.File("nested", "cols.parquet");
        int[] ints = [1, -2, 3, 4, 5, 6, 7];
        long[] longs = [10L, 20, long.MaxValue, 40, 50, 60, long.MinValue];
        float[] floats = [0.5f, float.NaN, -1f, 2f, 3f, 4f, 5f];
        double[] doubles = [1e-300, 2, 3, 4, 5, 6, double.PositiveInfinity];
        string[] strings = ["a", "", "ünï, \"q\"", "d", "e", "f", "g"];
        byte[] bytes = [0, 1, 2, 3, 4, 5, 255];

        await ColumnarFile.WriteAsync(
            path,
            [new("i", ints), new("l", longs), new("f", floats), new("d", doubles), new("s", strings), new("b", bytes)],
            rowGroupSize: 3
        );
        var read = await ColumnarFile.ReadAsync(path);

        var sizes = await TestParquet.RowGroupSizesAsync(path);
        Assert.Equal([3L, 3, 1], sizes);
        Assert.Equal(["i", "l", "f", "d", "s", "b"], read.Keys);
        Assert.Equal(ints, Assert.IsType<int[]>(read["i"]));
        Assert.Equal(longs, Assert.IsType<long[]>(read["l"]));
        Assert.Equal(floats, Assert.IsType<float[]>(read["f"]));
        Assert.Equal(doubles, Assert.IsType<double[]>(read["d"]));
        Assert.Equal(strings, Assert.IsType<string[]>(read["s"]));
        Assert.Equal(bytes, Assert.IsType<byte[]>(read["b"]));
        Assert.Single(Directory.EnumerateFiles(Path.GetDirectoryName(path)!));
    }

    [Fact]
    public async Task ReadAsync_ReturnsEmptyArrays_WhenNoRowsWereWritten()
    {
        var path = _dir.File("empty.parquet");

        await ColumnarFile.WriteAsync(path, [new("id", Array.Empty<long>()), new("name", Array.Empty<string>())]);
        var read = await ColumnarFile.ReadAsync(path);

        Assert.Empty(Assert.IsType<long[]>(read["id"]));
        Assert.Empty(Assert.IsType<string[]>(read["name"]));
    }

    [Fact]
    public async Task WriteAsync_ReplacesExistingFile_WhenPathExists()
    {
        var path = _dir.File("cols.parquet");
        await ColumnarFile.WriteAsync(path, [new("x", new[] { 1, 2, 3 })]);

        await ColumnarFile.WriteAsync(path, [new("y", new[] { 9L })]);

        var read = await ColumnarFile.ReadAsync(path);
        Assert.Equal([9L], Assert.IsType<long[]>(Assert.Single(read).Value));
    }

    [Fact]
    public async Task WriteAsync_Throws_WhenLengthsDiffer()
    {
        var e = await Assert.ThrowsAsync<ArgumentException>(() =>
            ColumnarFile.WriteAsync(_dir.File("x.parquet"), [new("a", new[] { 1, 2 }), new("b", new[] { 1L })])
        );

        Assert.Contains("'b'", e.Message);
        Assert.False(File.Exists(_dir.File("x.parquet")));
    }

    [Fact]
    public async Task WriteAsync_ThrowsNamingRow_WhenStringIsNull()
    {
        var e = await Assert.ThrowsAsync<ArgumentException>(() =>
            ColumnarFile.WriteAsync(_dir.File("x.parquet"), [new("s", new[] { "a", null! })])
        );

        Assert.Contains("row 1", e.Message);
    }

    [Fact]
    public async Task WriteAsync_Throws_WhenElementTypeIsUnsupported()
    {
        await Assert.ThrowsAsync<ArgumentException>(() =>
            ColumnarFile.WriteAsync(_dir.File("x.parquet"), [new("when", new[] { DateTime.UnixEpoch })])
        );
    }

    [Fact]
    public async Task ReadAsync_ThrowsNamingFile_WhenFileIsNotParquet()
    {
        var path = _dir.File("x.parquet");
        await File.WriteAllTextAsync(path, "definitely not a parquet file");

        var e = await Assert.ThrowsAsync<InputFormatException>(() => ColumnarFile.ReadAsync(path));

        Assert.Contains(path, e.Message);
    }
}
