using BatchRec.Jobs.Publishing;
using Xunit;

namespace BatchRec.Jobs.Tests;

public class PublisherFacts
{
    private static string Stage(TempDir dir, string name, string content)
    {
        var staged = dir.Sub(Path.Combine("table", ".staging", name));
        Directory.CreateDirectory(staged);
        File.WriteAllText(Path.Combine(staged, "part-00000.parquet"), content);
        return staged;
    }

    [Fact]
    public void PublishPartition_MakesTheStagedFilesVisibleWithASuccessMarker()
    {
        using var dir = new TempDir();
        Publisher.PublishPartition(dir.Sub("table"), "2026-01-02", Stage(dir, "run-a", "A"), "run-a");
        var part = dir.Sub(Path.Combine("table", "dt=2026-01-02"));
        Assert.Equal("A", File.ReadAllText(Path.Combine(part, "part-00000.parquet")));
        Assert.Equal("run-a", File.ReadAllText(Path.Combine(part, "_SUCCESS")).Trim());
        Assert.False(Directory.Exists(dir.Sub(Path.Combine("table", ".staging", "run-a"))));
    }

    [Fact]
    public void PublishPartition_SwapsToTheNewVersion_AndAReaderOfTheOldVersionKeepsItsFiles()
    {
        using var dir = new TempDir();
        var table = dir.Sub("table");
        Publisher.PublishPartition(table, "2026-01-02", Stage(dir, "run-a", "A"), "run-a");
        var oldVersion = Publisher.CurrentVersion(table, "2026-01-02")!;
        Publisher.PublishPartition(table, "2026-01-02", Stage(dir, "run-b", "B"), "run-b");
        Assert.Equal("B", File.ReadAllText(Path.Combine(table, "dt=2026-01-02", "part-00000.parquet")));
        Assert.Equal("A", File.ReadAllText(Path.Combine(oldVersion, "part-00000.parquet")));
        // no temporary link left behind, nothing else visible to a Hive-style listing
        Assert.Equal(
            ["dt=2026-01-02"],
            Directory.GetFileSystemEntries(table).Select(Path.GetFileName).Where(n => !n!.StartsWith('.'))
        );
    }

    [Fact]
    public void PublishPartition_RefusesToReplaceARealFolder()
    {
        using var dir = new TempDir();
        var table = dir.Sub("table");
        Directory.CreateDirectory(Path.Combine(table, "dt=2026-01-02"));
        Assert.Throws<IOException>(() =>
            Publisher.PublishPartition(table, "2026-01-02", Stage(dir, "run-a", "A"), "run-a")
        );
    }

    [Fact]
    public void Relink_RefusesAVersionWithoutSuccessMarker()
    {
        using var dir = new TempDir();
        var table = dir.Sub("table");
        Directory.CreateDirectory(Path.Combine(table, ".versions", "dt=2026-01-02", "run-x"));
        Assert.Throws<IOException>(() => Publisher.Relink(table, "2026-01-02", "run-x"));
        Assert.Null(Publisher.CurrentVersion(table, "2026-01-02"));
    }
}
