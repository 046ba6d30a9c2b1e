using BatchRec.Jobs.Configuration;
using Xunit;

namespace BatchRec.Jobs.Tests;

/// <summary>The dataset folders are checked when a config is loaded, so no stage runs with folders that cannot work.</summary>
public sealed class DatasetPathsFacts : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Write(string input, string output, string work = "work")
    {
        var path = _dir.Sub($"config-{Guid.NewGuid():N}.json");
        File.WriteAllText(
            path,
            $$"""{ "dataset": { "input": "{{input}}", "output": "{{output}}", "work": "{{work}}" } }"""
        );
        return path;
    }

    private ConfigException Refused(string input, string output, string work = "work")
    {
        var path = Write(input, output, work);
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(path));
        Assert.Contains(path, e.Message);
        return e;
    }

    [Fact]
    public void Load_RefusesNamingTheFile_WhenTheOutputRootLiesUnderARegularFile()
    {
        File.WriteAllText(_dir.Sub("blocker"), "not a folder");

        var e = Refused("in", "blocker/out/deeper");

        Assert.Contains(
            $"dataset.output: '{_dir.Sub("blocker/out/deeper")}' cannot be created: '{_dir.Sub("blocker")}' on its path is a file",
            e.Message
        );
    }

    [Fact]
    public void Load_RefusesNamingTheFile_WhenTheOutputRootOrTheWorkFolderIsARegularFile()
    {
        File.WriteAllText(_dir.Sub("out"), "x");
        File.WriteAllText(_dir.Sub("work"), "x");

        var e = Refused("in", "out");

        Assert.Contains($"dataset.output: '{_dir.Sub("out")}' is a file, not a folder", e.Message);
        Assert.Contains($"dataset.work: '{_dir.Sub("work")}' is a file, not a folder", e.Message);
    }

    [Theory]
    [InlineData("data", "data", "is the input dataset folder")]
    [InlineData("data", "data/out", "lies inside the input dataset folder")]
    [InlineData("data", "data/interactions/out", "lies inside the input dataset folder")]
    [InlineData("lake/raw", "lake", "dataset.input: ")]
    public void Load_RefusesNamingBothFolders_WhenTheOutputRootAndTheInputOverlap(
        string input,
        string output,
        string expected
    )
    {
        var e = Refused(input, output);

        Assert.Contains(expected, e.Message);
        Assert.Contains(_dir.Sub(output), e.Message);
    }

    [Fact]
    public void Load_RefusesTheOutputRoot_WhenItReachesTheInputThroughASymbolicLink()
    {
        Directory.CreateDirectory(_dir.Sub("data"));
        Directory.CreateSymbolicLink(_dir.Sub("alias"), _dir.Sub("data"));

        var e = Refused("data", "alias/out");

        Assert.Contains("lies inside the input dataset folder", e.Message);
    }

    [Fact]
    public void Load_RefusesTheWorkFolder_WhenItLiesInsideTheInput()
    {
        var e = Refused("data", "out", "data/work");

        Assert.Contains(
            $"dataset.work: '{_dir.Sub("data/work")}' is or lies inside the input dataset folder",
            e.Message
        );
    }

    [Theory]
    [InlineData("data", "data-out")] // a common name prefix is not a folder prefix
    [InlineData("data", "out")]
    [InlineData("a/data", "a/out")]
    public void Load_AcceptsSeparateFolders_WhetherOrNotTheyExist(string input, string output)
    {
        var missing = ConfigLoader.Load(Write(input, output));
        Directory.CreateDirectory(_dir.Sub(input));
        Directory.CreateDirectory(_dir.Sub(output));
        var existing = ConfigLoader.Load(Write(input, output));

        Assert.Equal(_dir.Sub(output), missing.OutputDir);
        Assert.Equal(_dir.Sub(output), existing.OutputDir);
    }
}
