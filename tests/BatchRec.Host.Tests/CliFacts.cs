using BatchRec.Host;
using Xunit;

namespace BatchRec.Host.Tests;

[Collection("hangfire")]
public class CliFacts
{
    [Fact]
    public async Task RunAsync_Returns2_WhenTheRunFailsOnBadInput_AndPublishesNothing()
    {
        using var dir = new TempDir();
        var config = TinyDataset.Config(dir, "missing-input");
        Assert.Equal(2, await Cli.RunAsync(["run", "--config", config.FilePath, "--date", "2026-01-02"]));
        Assert.False(Directory.Exists(Path.Combine(config.OutputDir, "recommendations")));
    }

    [Fact]
    public async Task RunAsync_Returns1_WhenAStageFailsForAnotherReason_AndPublishesNothing()
    {
        using var dir = new TempDir();
        await TinyDataset.WriteAsync(dir.Sub("input"));
        var config = TinyDataset.Config(
            dir,
            "input",
            """, "train": { "maxEpochs": 2, "evalEvery": 1, "device": "cpu" }"""
        );
        // a real folder where the publish stage swaps its partition link: publish fails (not the input's fault)
        Directory.CreateDirectory(Path.Combine(config.OutputDir, "recommendations", "dt=2026-01-02"));

        Assert.Equal(1, await Cli.RunAsync(["run", "--config", config.FilePath, "--date", "2026-01-02"]));
        Assert.False(File.Exists(Path.Combine(config.OutputDir, "recommendations", "dt=2026-01-02", "_SUCCESS")));
    }

    [Fact]
    public async Task RunAsync_Returns0AndPublishes_WhenTheRunSucceeds()
    {
        using var dir = new TempDir();
        await TinyDataset.WriteAsync(dir.Sub("input"));
        var config = TinyDataset.Config(
            dir,
            "input",
            """, "train": { "maxEpochs": 2, "evalEvery": 1, "device": "cpu" }"""
        );
        Assert.Equal(0, await Cli.RunAsync(["run", "--config", config.FilePath, "--date", "2026-01-02"]));
        Assert.True(File.Exists(Path.Combine(config.OutputDir, "recommendations", "dt=2026-01-02", "_SUCCESS")));
    }

    [Fact]
    public async Task RunAsync_ReturnsUsageCode2_ForAnUnknownCommand() =>
        Assert.Equal(2, await Cli.RunAsync(["frobnicate"]));

    [Fact]
    public async Task RunAsync_ThrowsNamingTheFile_WhenTheConfigIsMissing()
    {
        var ex = await Assert.ThrowsAsync<BatchRec.Jobs.Configuration.ConfigException>(() =>
            Cli.RunAsync(["run", "--config", "/nonexistent/x.json"])
        );
        Assert.Contains("/nonexistent/x.json", ex.Message);
    }

    [Fact]
    public void ConfigLoader_ListsEveryProblemWithItsKey_ForAnInvalidFile()
    {
        using var dir = new TempDir();
        var path = dir.Sub("bad.json");
        File.WriteAllText(path, """{ "train": { "batchSize": 0 }, "storage": { "kind": "redis" } }""");
        var ex = Assert.Throws<BatchRec.Jobs.Configuration.ConfigException>(() =>
            BatchRec.Jobs.Configuration.ConfigLoader.Load(path)
        );
        Assert.Contains(path, ex.Message);
        Assert.Contains("train.batchSize", ex.Message);
        Assert.Contains("storage.kind", ex.Message);
        Assert.Contains("'redis'", ex.Message);
    }

    [Fact]
    public void ConfigLoader_ResolvesPathsAgainstTheConfigFolder()
    {
        using var dir = new TempDir();
        var path = dir.Sub("c.json");
        File.WriteAllText(path, """{ "dataset": { "input": "../in", "output": "/abs/out" } }""");
        var c = BatchRec.Jobs.Configuration.ConfigLoader.Load(path);
        Assert.Equal(Path.GetFullPath(Path.Combine(dir.Path, "..", "in")), c.InputDir);
        Assert.Equal("/abs/out", c.OutputDir);
    }
}
