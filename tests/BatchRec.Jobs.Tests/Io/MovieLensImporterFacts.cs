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

    private void WriteText(string name, string text) =>
        File.WriteAllText(_dir.File("ml", name), text, new UTF8Encoding(false));

    private void WriteCsvRelease()
    {
        WriteText(
            "ratings.csv",
            "userId,movieId,rating,timestamp\r\n1,1,4.0,964982703\r\n1,2,3.5,964981247\r\n2,1,5,964982224\r\n"
        );
        WriteText(
            "movies.csv",
            "movieId,title,genres\n"
                + "1,Toy Story (1995),Adventure|Animation|Children\n"
                + "2,\"American President, The (1995)\",Comedy|Drama|Romance\n"
                + "3,\"11'09\"\"01 - September 11 (2002)\",Drama\n"
                + "4,Unknown Movie (2020),(no genres listed)\n"
        );
        WriteText(
            "tags.csv",
            "userId,movieId,tag,timestamp\n"
                + "2,1,pixar,1445714994\n"
                + "3,1,funny,1445714995\n"
                + "4,1,pixar,1445714996\n"
                + "2,2,\" politics \",1445714997\n"
                + "5,2,\"two-line\ntag\",1445714998\n"
                + "\n"
        );
    }

    private static async Task<List<InteractionBatch>> ReadInteractionsAsync(string root)
    {
        var batches = new List<InteractionBatch>();
        await foreach (
            var batch in DatasetReader.ReadInteractionsAsync(
                DatasetReader.ListFiles(root, "interactions", required: true)
            )
        )
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
        AssertEx.Strings(
            [
                "Toy Story (1995)",
                "American President, The (1995)",
                "11'09\"01 - September 11 (2002)",
                "Unknown Movie (2020)",
            ],
            items.Titles
        );
        AssertEx.Strings(["pixar, funny", "politics, two-line\ntag", null, null], items.Texts);
        Assert.Equal(
            [
                ["Adventure", "Animation", "Children"],
                ["Comedy", "Drama", "Romance"],
                ["Drama"],
                [],
            ],
            items.Tags
        );
    }

    [Fact]
    public async Task ImportAsync_DecodesLatin1Lines_WhenReleaseIsDat()
    {
        WriteText("ratings.dat", "1::1193::5::978300760\n1::661::3::978302109\n2::3::4::978300000\n");
        var movies = new MemoryStream();
        movies.Write(
            Encoding.Latin1.GetBytes(
                "1193::One Flew Over the Cuckoo's Nest (1975)::Drama\n661::Misérables, Les (1995)::Drama|Musical\n"
            )
        );
        movies.Write(Encoding.UTF8.GetBytes("3::Amélie (2001)::Comedy|Romance\n"));
        await File.WriteAllBytesAsync(_dir.File("ml", "movies.dat"), movies.ToArray());
        WriteText("tags.dat", "7::661::musical::1188263867\n8::661::classic::1188263868\n");

        var summary = await MovieLensImporter.ImportAsync(Source, Output);

        Assert.Equal(new ImportSummary(3, 3, 2, "dat"), summary);
        var batch = Assert.Single(await ReadInteractionsAsync(Output));
        Assert.Equal(["1193", "661", "3"], batch.ItemIds);
        Assert.Equal([5f, 3f, 4f], batch.Weights);
        var items = await DatasetReader.ReadItemsAsync(DatasetReader.ListFiles(Output, "items", required: true));
        AssertEx.Strings(
            ["One Flew Over the Cuckoo's Nest (1975)", "Misérables, Les (1995)", "Amélie (2001)"],
            items.Titles
        );
        AssertEx.Strings([null, "musical, classic", null], items.Texts);
        Assert.Equal(
            [
                ["Drama"],
                ["Drama", "Musical"],
                ["Comedy", "Romance"],
            ],
            items.Tags
        );
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
        WriteText(
            "movies.csv",
            "movieId,title,genres\n1,Toy Story (1995),Comedy\n2,American President, The (1995),Drama\n"
        );

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

    /// <summary>
    /// A real subset of ml-latest-small shipped with the tests (Fixtures/ml-latest-small-subset, cut as its SUBSET.md
    /// says, with the release's README.txt licence beside it): the expected figures are computed here from its CSV
    /// lines, which hold no quoted line break (checked), so one line is one record.
    /// </summary>
    [Fact]
    public async Task ImportAsync_ConvertsMovieLensLatestSmallSubset_WhenGivenTheRepositoryFixture()
    {
        var source = Path.Combine(AppContext.BaseDirectory, "Fixtures", "ml-latest-small-subset");
        static string[] Records(string file)
        {
            var bytes = File.ReadAllBytes(file);
            Assert.Equal("\r\n"u8.ToArray(), bytes[^2..]); // the release's CRLF line endings, kept
            var lines = File.ReadAllLines(file);
            Assert.All(lines, l => Assert.True(l.Count(c => c == '"') % 2 == 0, $"a quoted line break in {file}: {l}"));
            return lines[1..];
        }
        var ratingLines = Records(Path.Combine(source, "ratings.csv")).Select(l => l.Split(',')).ToArray();
        var movieLines = Records(Path.Combine(source, "movies.csv"));
        var tagLines = Records(Path.Combine(source, "tags.csv"));

        var summary = await MovieLensImporter.ImportAsync(source, Output);

        Assert.Equal(new ImportSummary(ratingLines.Length, movieLines.Length, tagLines.Length, "csv"), summary);
        var batches = await ReadInteractionsAsync(Output);
        Assert.Equal(ratingLines.Select(r => r[0]), batches.SelectMany(b => b.UserIds));
        Assert.Equal(ratingLines.Select(r => r[1]), batches.SelectMany(b => b.ItemIds));
        Assert.Equal(
            ratingLines.Select(r => float.Parse(r[2], System.Globalization.CultureInfo.InvariantCulture)),
            batches.SelectMany(b => b.Weights)
        );
        Assert.Equal(
            ratingLines.Select(r => long.Parse(r[3], System.Globalization.CultureInfo.InvariantCulture)),
            batches.SelectMany(b => b.Timestamps)
        );
        Assert.True(ratingLines.Select(r => r[0]).Distinct().Count() > 1);

        var items = await DatasetReader.ReadItemsAsync(DatasetReader.ListFiles(Output, "items", required: true));
        Assert.Equal(movieLines.Select(l => l[..l.IndexOf(',')]), items.ItemIds);
        // Step Brothers: its text is its distinct tags in file order, its attributes the genres (the line's last field)
        var stepBrothers = Array.IndexOf(items.ItemIds, "60756");
        var line = movieLines.Single(l => l.StartsWith("60756,", StringComparison.Ordinal));
        var tags = tagLines.Select(l => l.Split(',')).Where(t => t[1] == "60756").Select(t => t[2]).Distinct();
        Assert.Equal("Step Brothers (2008)", items.Titles[stepBrothers]);
        Assert.Equal(string.Join(", ", tags), items.Texts[stepBrothers]);
        Assert.Equal(line[(line.LastIndexOf(',') + 1)..].Split('|'), items.Tags[stepBrothers]);
        // a quoted title with an escaped quote: 7789,"11'09""01 - September 11 (2002)",Drama
        Assert.Equal("11'09\"01 - September 11 (2002)", items.Titles[Array.IndexOf(items.ItemIds, "7789")]);
        var noGenres = movieLines.Count(l => l.EndsWith(",(no genres listed)", StringComparison.Ordinal));
        Assert.True(noGenres > 0);
        Assert.Equal(noGenres, items.Tags.Count(t => t.Length == 0));
    }
}
