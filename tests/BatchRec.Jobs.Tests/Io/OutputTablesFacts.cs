using BatchRec.Jobs.Io;
using Xunit;

namespace BatchRec.Jobs.Tests.Io;

public sealed class OutputTablesFacts : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task ReadMetricsAsync_ReturnsRowsWritten_WhenRoundTripped()
    {
        var path = _dir.File("metrics", "metrics.parquet");
        MetricRow[] rows =
        [
            new("run-1", "lightgcn", "test", "ndcg", 10, 0.1234567890123),
            new("run-1", "lightgcn", "test", "recall", 20, 1.0),
            new("run-1", "popularity", "valid", "hit", 5, 0.0),
        ];

        await OutputTables.WriteMetricsAsync(path, rows);
        var read = await OutputTables.ReadMetricsAsync(path);

        Assert.Equal(rows, read);
        Assert.Single(Directory.EnumerateFiles(Path.GetDirectoryName(path)!));
    }

    [Fact]
    public async Task ReadMetricsAsync_ReturnsNoRows_WhenNoneWereWritten()
    {
        var path = _dir.File("metrics.parquet");

        await OutputTables.WriteMetricsAsync(path, []);

        Assert.Empty(await OutputTables.ReadMetricsAsync(path));
    }

    [Fact]
    public async Task ReadMetricsAsync_ThrowsNamingFileAndColumn_WhenKHasWrongType()
    {
        var path = _dir.File("metrics.parquet");
        await ColumnarFile.WriteAsync(
            path,
            [
                new("run_id", new[] { "r" }),
                new("model", new[] { "m" }),
                new("split", new[] { "s" }),
                new("metric", new[] { "ndcg" }),
                new("k", new[] { 10L }),
                new("value", new[] { 0.5 }),
            ]
        );

        var e = await Assert.ThrowsAsync<InputFormatException>(() => OutputTables.ReadMetricsAsync(path));

        Assert.Contains("metrics.parquet", e.Message);
        Assert.Contains("'k'", e.Message);
        Assert.Contains("found int64", e.Message);
    }
}
