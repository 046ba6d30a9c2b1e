using System.Diagnostics;
using Xunit;

namespace BatchRec.Host.Tests;

/// <summary>
/// The built <c>batchrec</c> program as a user runs it: exit codes, and user-facing errors in words (no .NET type
/// name, no stack trace) naming what to fix.
/// </summary>
[Collection("hangfire")]
public sealed class CliProcessFacts : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static Task<(int ExitCode, string Output)> BatchRecAsync(params string[] args) =>
        BatchRecWithAsync([], args);

    private static async Task<(int ExitCode, string Output)> BatchRecWithAsync(
        (string Name, string Value)[] environment,
        params string[] args
    )
    {
        var psi = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "batchrec"), args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in environment)
            psi.Environment[name] = value;
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(120));
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>No type name such as BatchRec.Jobs.Io.InputFormatException or System.IO.IOException, no stack frame.</summary>
    private static void InWords(string output)
    {
        Assert.DoesNotMatch(@"[A-Za-z]+(\.[A-Za-z]+)*Exception\b", output);
        Assert.DoesNotContain("   at ", output);
    }

    private string Config(string json)
    {
        var path = _dir.Sub($"config-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Theory]
    [InlineData("run")]
    [InlineData("serve")]
    [InlineData("ingest")]
    public async Task Verb_Exits2NamingThePath_BeforeAnyStageRuns_WhenTheOutputRootLiesUnderARegularFile(string verb)
    {
        await TinyDataset.WriteAsync(_dir.Sub("input"));
        File.WriteAllText(_dir.Sub("blocker"), "a file");
        var config = Config("""{ "dataset": { "input": "input", "output": "blocker/out", "work": "work" } }""");

        var (exit, output) = await BatchRecAsync(
            verb == "serve" ? [verb, "--config", config] : [verb, "--config", config, "--date", "2026-11-28"]
        );

        Assert.Equal(2, exit);
        Assert.Contains(
            $"dataset.output: '{_dir.Sub("blocker/out")}' cannot be created: '{_dir.Sub("blocker")}' on its path is a file, not a folder",
            output
        );
        InWords(output);
        Assert.False(Directory.Exists(_dir.Sub("work")), output); // no run folder, no ingest store: nothing ran
    }

    [Fact]
    public async Task Run_Exits2NamingTheFolders_WhenTheOutputRootIsInsideTheInput()
    {
        await TinyDataset.WriteAsync(_dir.Sub("input"));
        var config = Config("""{ "dataset": { "input": "input", "output": "input/out", "work": "work" } }""");

        var (exit, output) = await BatchRecAsync("run", "--config", config);

        Assert.Equal(2, exit);
        Assert.Contains(
            $"dataset.output: '{_dir.Sub("input/out")}' lies inside the input dataset folder '{_dir.Sub("input")}'",
            output
        );
        InWords(output);
        Assert.False(Directory.Exists(_dir.Sub("work")), output);
    }

    [Fact]
    public async Task Run_Exits2InWordsNamingTheFileAndColumn_WhenTheInputIsBad()
    {
        await TinyDataset.WriteAsync(_dir.Sub("input"), withTimestamp: false);
        var config = Config("""{ "dataset": { "input": "input", "output": "out", "work": "work" } }""");

        var (exit, output) = await BatchRecAsync("run", "--config", config, "--date", "2026-11-28");

        Assert.Equal(2, exit);
        Assert.Contains("failed in stage ingest", output);
        Assert.Contains(Path.Combine(_dir.Sub("input"), "interactions", "dt=2026-11-27", "part-00000.parquet"), output);
        Assert.Contains("column 'timestamp'", output);
        InWords(output);
    }

    [Fact]
    public async Task Run_Exits2NamingEveryProblem_WhenTheConfigHasATypeErrorAndTwoBadValues()
    {
        var config = Config("""{ "train": { "batchSize": "big", "learningRate": -1 }, "score": { "k": 0 } }""");

        var (exit, output) = await BatchRecAsync("run", "--config", config);

        Assert.Equal(2, exit);
        Assert.Contains("train.batchSize: must be an integer, got \"big\"", output);
        Assert.Contains("train.learningRate: must be > 0, got -1", output);
        Assert.Contains("score.k: must be > 0, got 0", output);
        InWords(output);
    }

    [Theory]
    [InlineData("run", "--date", "28.11.2026", "--date must be a date as YYYY-MM-DD, got '28.11.2026'")]
    [InlineData("ingest", "--date", "yesterday", "--date must be a date as YYYY-MM-DD, got 'yesterday'")]
    [InlineData("synth", "--interactions", "lots", "--interactions must be a whole number")]
    public async Task Verb_Exits2InWords_WhenAnArgumentIsMalformed(
        string verb,
        string option,
        string value,
        string expected
    )
    {
        await TinyDataset.WriteAsync(_dir.Sub("input"));
        var config = Config("""{ "dataset": { "input": "input", "output": "out", "work": "work" } }""");
        string[] args =
            verb == "synth"
                ? [verb, "--out", _dir.Sub("synth"), option, value]
                : [verb, "--config", config, option, value];

        var (exit, output) = await BatchRecAsync(args);

        Assert.Equal(2, exit);
        Assert.Contains(expected, output);
        InWords(output);
        Assert.False(Directory.Exists(_dir.Sub("work")), output);
    }

    [Fact]
    public async Task Run_Exits2SuggestingTheNearestOption_AndRunsNothing_WhenAnOptionIsMistyped()
    {
        await TinyDataset.WriteAsync(_dir.Sub("input"));
        var config = Config("""{ "dataset": { "input": "input", "output": "out", "work": "work" } }""");

        var (exit, output) = await BatchRecAsync("run", "--config", config, "--data", "2026-01-01"); // --date meant

        Assert.Equal(2, exit);
        Assert.Contains("Unrecognized command or argument '--data'. (did you mean '--date'?)", output);
        Assert.Contains("See 'batchrec run --help'.", output);
        InWords(output);
        Assert.False(Directory.Exists(_dir.Sub("work")), output); // refused before anything ran: no run for today
    }

    [Theory]
    [InlineData(
        new[] { "compar", "--config", "x.json" },
        "Unrecognized command or argument 'compar'. (did you mean 'compare'?)"
    )]
    [InlineData(new[] { "run" }, "Option '--config' is required.")]
    [InlineData(new[] { "compare", "--config", "x.json", "--seeds", "1,two" }, "--seeds: 'two' is not an integer")]
    [InlineData(new[] { "compare", "--config", "x.json", "--seeds", "," }, "--seeds must name at least one seed")]
    [InlineData(new[] { "bench-ann", "--items", "1000,ten" }, "--items: 'ten' is not a whole number above 0")]
    [InlineData(new[] { "bench-ann", "--connectivity", "1" }, "search.connectivity: must be within [2, 256], got 1")]
    public async Task Exits2InWords_ForAnUnknownVerbAMissingOptionOrABadList(string[] args, string expected)
    {
        var (exit, output) = await BatchRecAsync(args);

        Assert.Equal(2, exit);
        Assert.Contains(expected, output);
        InWords(output);
    }

    [Theory]
    [InlineData(new[] { "run", "--help" }, new[] { "--config <FILE> (REQUIRED)", "--date <YYYY-MM-DD>" })]
    [InlineData(new[] { "help", "compare" }, new[] { "--models <LIST>", "--seeds <LIST>", "--out <DIR>" })]
    [InlineData(new[] { "synth", "-h" }, new[] { "--interactions <N> (REQUIRED)", "--users <N>", "--seed <N>" })]
    [InlineData(
        new[] { "--help" },
        new[] { "run", "serve", "ingest", "import-movielens", "compare", "synth", "bench", "bench-text", "bench-ann" }
    )]
    [InlineData(
        new[] { "bench-ann", "--help" },
        new[]
        {
            "--items <LIST>",
            "--dim <N>",
            "--queries <N>",
            "--k <N>",
            "--seed <N>",
            "--threads <N>",
            "--out <DIR>",
        }
    )]
    public async Task Help_Exits0ListingTheVerbsOrTheVerbsOptions(string[] args, string[] expected)
    {
        var (exit, output) = await BatchRecAsync(args);

        Assert.Equal(0, exit);
        foreach (var e in expected)
            Assert.Contains(e, output);
    }

    [Fact]
    public async Task NoVerb_Exits2ListingTheVerbs()
    {
        var (exit, output) = await BatchRecAsync();

        Assert.Equal(2, exit);
        Assert.Contains("Commands:", output);
        Assert.Contains("import-movielens", output);
    }

    [Fact]
    public async Task Compare_UsesTheConfigsSeed_AndSynth_TheDefaultSizes_WhenTheirOptionalOptionsAreAbsent()
    {
        await TinyDataset.WriteAsync(_dir.Sub("input"));
        var config = Config(
            """{ "dataset": { "input": "input", "output": "out", "work": "work" }, "train": { "seed": 7 } }"""
        );

        var (exit, output) = await BatchRecAsync("compare", "--config", config, "--models", "popularity"); // no --seeds, no --out

        Assert.True(exit == 0, output);
        var csv = File.ReadAllLines(_dir.Sub("out/comparison/comparison.csv"));
        Assert.Contains(csv.Skip(1), line => line.StartsWith("popularity,7,", StringComparison.Ordinal));
        Assert.DoesNotContain(csv.Skip(1), line => !line.StartsWith("popularity,7,", StringComparison.Ordinal));

        (exit, output) = await BatchRecAsync("synth", "--out", _dir.Sub("synth"), "--interactions", "2_000"); // no --users, --items, --seed

        Assert.True(exit == 0, output);
        Assert.Contains("Wrote 2000 interactions of 100 users over 20 items", output);
    }

    [Fact]
    public async Task Ingest_Exits2NamingTheFile_AndNoUnhandledException_WhenAFileIsTruncated()
    {
        await TinyDataset.WriteAsync(_dir.Sub("input"));
        var file = Path.Combine(_dir.Sub("input"), "interactions", "dt=2026-11-27", "part-00000.parquet");
        await File.WriteAllBytesAsync(file, (await File.ReadAllBytesAsync(file))[..20]);
        var config = Config("""{ "dataset": { "input": "input", "output": "out", "work": "work" } }""");

        var (exit, output) = await BatchRecAsync("ingest", "--config", config, "--date", "2026-11-28");

        Assert.True(exit == 2, output);
        Assert.Contains(file, output);
        Assert.Contains("not a Parquet file", output);
        Assert.DoesNotContain("Unhandled exception", output);
    }

    [Fact]
    public async Task Compare_TakesTheEnvironmentThenSet_AndRefusesMistypedOverridesWithTheNearestName()
    {
        await TinyDataset.WriteAsync(_dir.Sub("input"));
        var config = Config(
            """{ "dataset": { "input": "input", "output": "out", "work": "work" }, "train": { "seed": 7 } }"""
        );

        var (exit, output) = await BatchRecWithAsync(
            [("BATCHREC__TRAIN__SEED", "11"), ("BATCHREC__DATASET__OUTPUT", "out-env")],
            "compare",
            "--config",
            config,
            "--models",
            "popularity",
            "--set",
            "train.seed=13"
        );

        Assert.True(exit == 0, output);
        var csv = File.ReadAllLines(_dir.Sub("out-env/comparison/comparison.csv")); // the environment's output root
        Assert.Contains(csv.Skip(1), line => line.StartsWith("popularity,13,", StringComparison.Ordinal)); // --set last
        Assert.False(Directory.Exists(_dir.Sub("out")));
        string[] Runs() =>
            Directory.Exists(_dir.Sub("work/runs")) ? Directory.GetDirectories(_dir.Sub("work/runs")) : [];
        var before = Runs();

        (exit, output) = await BatchRecWithAsync(
            [("BATCHREC__MODEL__KIDN", "ease")],
            "run",
            "--config",
            config,
            "--set",
            "trian.seed=1",
            "--set",
            "score.k=0"
        );

        Assert.Equal(2, exit);
        Assert.Contains("BATCHREC__MODEL__KIDN: unknown key of model 'KIDN' (did you mean 'model.kind'?)", output);
        Assert.Contains("--set trian.seed: unknown section 'trian' (did you mean 'train'?)", output);
        Assert.Contains("score.k: must be > 0, got 0", output);
        Assert.Equal(before, Runs()); // refused before any run started
        InWords(output);
    }
}
