using System.Text;
using BatchRec.Jobs.Io;
using Xunit;

namespace BatchRec.Jobs.Tests.Io;

public sealed class MovieLensImporterFacts : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Source => Path.Combine(_dir.Path, "ml");
    private string Output => Path.Combine(_dir.Path, "dataset");

    private void WriteText(string name, string text) => File.WriteAllText(_dir.File("ml", name), text, new UTF8Encoding(false));

    private void WriteCsvRelease()
    {
        WriteText("ratings.csv", "userId,movieId,rating,timestamp\r\n1,1,4.0,964982703\r\n1,2,3.5,964981247\r\n2,1,5,964982224\r\n");
        WriteText("movies.csv",
            "movieId,title,genres\n" +
            "1,Toy Story (1995),Adventure|Animation|Children\n" +
            "2,\"American President, The (1995)\",Comedy|Drama|Romance\n" +
            "3,\"11'09\"\"01 - September 11 (2002)\",Drama\n" +
            "4,Unknown Movie (2020),(no genres listed)\n");
        WriteText("tags.csv",
            "userId,movieId,tag,timestamp\n" +
            "2,1,pixar,1445714994\n" +
            "3,1,funny,1445714995\n" +
            "4,1,pixar,1445714996\n" +
            "2,2,\" politics \",1445714997\n" +
            "5,2,\"two-line\ntag\",1445714998\n" +
            "\n");
    }

    private static async Task<List<InteractionBatch>> ReadInteractionsAsync(string root)
    {
        var batches = new List<InteractionBatch>();
        await foreach (var batch in DatasetReader.ReadInteractionsAsync(DatasetReader.ListFiles(root, "interactions", required: true)))
            batches.Add(batch);
        return batches;
    }

    [Fact]
    public async Task ImportAsync_WritesInteractionsAndItems_WhenReleaseIsCsv()
    {
        WriteCsvRelease();

        var summary = await MovieLensImporter.ImportAsync(Source, Output);

        Assert.Equal(new ImportSummary(Ratings: 3, Movies: 4, TagApplications: 5, Format: "csv"), summary);
        var batch = Assert.Single(await ReadInteractionsAsync(Output));
        Assert.Equal(Path.Combine(Output, "interactions", "part-00000.parquet"), batch.File);
        Assert.Equal((IdKind.Int64, IdKind.Int64), (batch.UserIdKind, batch.ItemIdKind));
        Assert.Equal(["1", "1", "2"], batch.UserIds);
        Assert.Equal(["1", "2", "1"], batch.ItemIds);
        Assert.Equal([964982703L, 964981247, 964982224], batch.Timestamps);
        Assert.Equal([4f, 3.5f, 5f], batch.Weights);
        Assert.All(batch.EventTypes, e => Assert.Equal("rating", e));

        var items = await DatasetReader.ReadItemsAsync(DatasetReader.ListFiles(Output, "items", required: true));
        Assert.Equal(IdKind.Int64, items.ItemIdKind);
        Assert.Equal(["1", "2", "3", "4"], items.ItemIds);
        AssertEx.Strings(["Toy Story (1995)", "American President, The (1995)", "11'09\"01 - September 11 (2002)", "Unknown Movie (2020)"], items.Titles);
        AssertEx.Strings(["pixar, funny", "politics, two-line\ntag", null, null], items.Texts);
        Assert.Equal([["Adventure", "Animation", "Children"], ["Comedy", "Drama", "Romance"], ["Drama"], []], items.Tags);
    }

    [Fact]
    public async Task ImportAsync_DecodesLatin1Lines_WhenReleaseIsDat()
    {
        WriteText("ratings.dat", "1::1193::5::978300760\n1::661::3::978302109\n2::3::4::978300000\n");
        var movies = new MemoryStream();
        movies.Write(Encoding.Latin1.GetBytes("1193::One Flew Over the Cuckoo's Nest (1975)::Drama\n661::Misérables, Les (1995)::Drama|Musical\n"));
        movies.Write(Encoding.UTF8.GetBytes("3::Amélie (2001)::Comedy|Romance\n"));
        await File.WriteAllBytesAsync(_dir.File("ml", "movies.dat"), movies.ToArray());
        WriteText("tags.dat", "7::661::musical::1188263867\n8::661::classic::1188263868\n");

        var summary = await MovieLensImporter.ImportAsync(Source, Output);

        Assert.Equal(new ImportSummary(3, 3, 2, "dat"), summary);
        var batch = Assert.Single(await ReadInteractionsAsync(Output));
        Assert.Equal(["1193", "661", "3"], batch.ItemIds);
        Assert.Equal([5f, 3f, 4f], batch.Weights);
        var items = await DatasetReader.ReadItemsAsync(DatasetReader.ListFiles(Output, "items", required: true));
        AssertEx.Strings(["One Flew Over the Cuckoo's Nest (1975)", "Misérables, Les (1995)", "Amélie (2001)"], items.Titles);
        AssertEx.Strings([null, "musical, classic", null], items.Texts);
        Assert.Equal([["Drama"], ["Drama", "Musical"], ["Comedy", "Romance"]], items.Tags);
    }

    [Fact]
    public async Task ImportAsync_CutsInteractionsIntoRowGroups_WhenRatingsExceedOneRowGroup()
    {
        WriteCsvRelease();
        var ratings = new StringBuilder("userId,movieId,rating,timestamp\n");
        for (int i = 0; i < 3001; i++)
            ratings.Append($"{i},{1 + i % 4},{0.5 + i % 10 * 0.5:0.0},{1_000_000 + i}\n");
        WriteText("ratings.csv", ratings.ToString());

        var summary = await MovieLensImporter.ImportAsync(Source, Output, ratingsPerRowGroup: 1500);

        Assert.Equal(3001, summary.Ratings);
        var batches = await ReadInteractionsAsync(Output);
        Assert.Equal([0L, 1500, 3000], batches.Select(b => b.FirstRow));
        Assert.Equal(Enumerable.Range(0, 3001).Select(i => i.ToString()), batches.SelectMany(b => b.UserIds));
        Assert.Equal(Enumerable.Range(0, 3001).Select(i => 1_000_000L + i), batches.SelectMany(b => b.Timestamps));
        Assert.Equal(Enumerable.Range(0, 3001).Select(i => 0.5f + i % 10 * 0.5f), batches.SelectMany(b => b.Weights));
    }

    [Fact]
    public async Task ImportAsync_ThrowsNamingFileAndLineAndLeavesNoOutput_WhenRatingLineIsBad()
    {
        WriteCsvRelease();
        WriteText("ratings.csv", "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,abc,4.0,964982703\n");

        var e = await Assert.ThrowsAsync<InputFormatException>(() => MovieLensImporter.ImportAsync(Source, Output));

        Assert.Contains("ratings.csv", e.Message);
        Assert.Contains("line 3", e.Message);
        Assert.Contains("'abc'", e.Message);
        Assert.Equal(3L, e.Line);
        Assert.False(Directory.Exists(Output));
        Assert.Equal([Source], Directory.EnumerateDirectories(_dir.Path));
    }

    [Fact]
    public async Task ImportAsync_ThrowsNamingLine_WhenFieldCountDiffersFromHeader()
    {
        WriteCsvRelease();
        WriteText("movies.csv", "movieId,title,genres\n1,Toy Story (1995),Comedy\n2,American President, The (1995),Drama\n");

        var e = await Assert.ThrowsAsync<InputFormatException>(() => MovieLensImporter.ImportAsync(Source, Output));

        Assert.Contains("movies.csv", e.Message);
        Assert.Contains("line 3", e.Message);
    }

    [Fact]
    public async Task ImportAsync_ThrowsNamingFile_WhenQuotedFieldIsNotClosed()
    {
        WriteCsvRelease();
        WriteText("movies.csv", "movieId,title,genres\n1,\"Toy Story (1995),Comedy\n");

        var e = await Assert.ThrowsAsync<InputFormatException>(() => MovieLensImporter.ImportAsync(Source, Output));

        Assert.Contains("movies.csv", e.Message);
        Assert.Contains("line 2", e.Message);
    }

    [Fact]
    public async Task ImportAsync_ThrowsNamingFolder_WhenFolderHoldsNoRatings()
    {
        Directory.CreateDirectory(Source);

        var e = await Assert.ThrowsAsync<InputFormatException>(() => MovieLensImporter.ImportAsync(Source, Output));

        Assert.Contains(Source, e.Message);
    }

    [Fact]
    public async Task ImportAsync_ReplacesTablesAndKeepsOtherFolders_WhenOutputExists()
    {
        WriteCsvRelease();
        await MovieLensImporter.ImportAsync(Source, Output);
        var users = _dir.File("dataset", "users", "part-0.parquet");
        await File.WriteAllTextAsync(users, "kept");
        WriteText("ratings.csv", "userId,movieId,rating,timestamp\n9,1,1.0,1\n");

        var summary = await MovieLensImporter.ImportAsync(Source, Output);

        Assert.Equal(1, summary.Ratings);
        Assert.Equal(["9"], Assert.Single(await ReadInteractionsAsync(Output)).UserIds);
        Assert.Equal("kept", await File.ReadAllTextAsync(users));
        Assert.Equal([Output, Source], Directory.EnumerateDirectories(_dir.Path).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task ImportAsync_ConvertsMovieLensLatestSmall_WhenGivenTheSharedRelease()
    {
        var source = FindSharedData("ml-latest-small");

        var summary = await MovieLensImporter.ImportAsync(source, Output);

        Assert.Equal(new ImportSummary(100_836, 9_742, 3_683, "csv"), summary);
        long interactions = 0;
        var users = new HashSet<string>();
        foreach (var batch in await ReadInteractionsAsync(Output))
        {
            interactions += batch.Count;
            users.UnionWith(batch.UserIds);
        }
        Assert.Equal(100_836, interactions);
        Assert.Equal(610, users.Count);

        var items = await DatasetReader.ReadItemsAsync(DatasetReader.ListFiles(Output, "items", required: true));
        Assert.Equal(9_742, items.Count);
        int stepBrothers = Array.IndexOf(items.ItemIds, "60756");
        Assert.Equal("Step Brothers (2008)", items.Titles[stepBrothers]);
        Assert.Equal("funny, Highly quotable, will ferrell, comedy", items.Texts[stepBrothers]);
        Assert.Equal(["Comedy"], items.Tags[stepBrothers]);
        Assert.Equal("11'09\"01 - September 11 (2002)", items.Titles[Array.IndexOf(items.ItemIds, "7789")]);
        Assert.Equal(34, items.Tags.Count(t => t.Length == 0));
    }

    /// <summary>
    /// The shared data folder: walks up from the test assembly to a folder holding shared/data/&lt;name&gt;
    /// (the repository's sibling ../shared is found this way too).
    /// </summary>
    private static string FindSharedData(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "data", name);
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException($"shared/data/{name} was not found above {AppContext.BaseDirectory}; it is expected beside the repository as ../shared/data/{name}");
    }
}
