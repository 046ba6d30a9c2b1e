using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using BatchRec.Core;
using BatchRec.Jobs.Bench;
using BatchRec.Jobs.Configuration;
using BatchRec.Jobs.Ingest;
using BatchRec.Jobs.Io;
using BatchRec.Jobs.Orchestration;
using BatchRec.Jobs.Runs;
using BatchRec.Jobs.Stages;
using Serilog;

namespace BatchRec.Host;

/// <summary>
/// The command-line verbs (run, serve, ingest, import-movielens, compare, synth, bench, bench-text, bench-ann) on
/// System.CommandLine: help per verb (<c>batchrec VERB --help</c>), unknown verbs and options refused with the nearest
/// valid name, and every parse error reported in words with exit code 2 before anything runs.
/// </summary>
public static class Cli
{
    /// <summary>Exit code of a bad command line, a bad config or bad input.</summary>
    public const int UsageError = 2;

    /// <summary>Parses <paramref name="args"/> and runs the verb. Parse errors and <c>--help</c> return without running
    /// anything; exceptions of the verb propagate to the caller (Program.cs maps them to exit codes).</summary>
    public static async Task<int> RunAsync(string[] args, CancellationToken ct = default)
    {
        var root = BuildCommand(args);
        if (args is ["help", .. var rest])
            args = [.. rest, "--help"]; // `batchrec help [VERB]` = `batchrec [VERB] --help`
        var result = root.Parse(args);
        if (args.Length == 0)
        {
            // no verb: the list of verbs, as a usage error
            await root.Parse(["--help"]).InvokeAsync(new InvocationConfiguration { Output = Console.Error }, ct);
            return UsageError;
        }
        if (result.Errors.Count > 0)
        {
            var errors = result.Errors.ToList();
            if (result.UnmatchedTokens.Count > 0) // an unknown verb also reads as "no verb": name only the unknown word
                errors.RemoveAll(e => e.Message == "Required command was not provided.");
            foreach (var error in errors)
                Console.Error.WriteLine($"batchrec: {error.Message}{Suggestion(result, error)}");
            var verb = result.CommandResult.Command == root ? "" : result.CommandResult.Command.Name + " ";
            Console.Error.WriteLine($"See 'batchrec {verb}--help'.");
            return UsageError;
        }
        return await result.InvokeAsync(
            // no handler of System.CommandLine's own: Program.cs reports exceptions in words and owns SIGTERM/Ctrl+C
            new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null },
            ct
        );
    }

    private static RootCommand BuildCommand(string[] args)
    {
        var root = new RootCommand(
            "BatchRec: the nightly batch recommender (ingest → train → evaluate → score → publish)."
        );

        var config = new Option<string>("--config")
        {
            Description = "the JSON config file (docs/configuration.md)",
            Required = true,
            HelpName = "FILE",
        };
        var set = new Option<string[]>("--set")
        {
            Description =
                "override a config key, SECTION.KEY=VALUE (repeatable; after the file and the BATCHREC__SECTION__KEY "
                + "environment variables; VALUE is JSON when it parses as JSON, else a string)",
            HelpName = "KEY=VALUE",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var date = new Option<string>("--date")
        {
            Description = "the run date, YYYY-MM-DD (default: today, UTC)",
            HelpName = "YYYY-MM-DD",
            DefaultValueFactory = _ =>
                DateOnly.FromDateTime(DateTime.UtcNow).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            CustomParser = ParseDate,
        };

        var run = new Command(
            "run",
            "one run of the nightly chain on the configured storage (embedded by default), then exit"
        )
        {
            config,
            set,
            date,
        };
        run.SetAction(
            async (r, token) =>
                await RunChainAsync(
                    LoadConfig(r.GetRequiredValue(config), r.GetValue(set)),
                    r.GetRequiredValue(date),
                    token
                )
        );

        var urls = new Option<string>("--urls")
        {
            Description = "where the dashboard listens",
            DefaultValueFactory = _ => "http://127.0.0.1:5080",
            HelpName = "URL",
        };
        var serve = new Command(
            "serve",
            "Hangfire server + dashboard (/hangfire) with the nightly schedule; several on one PostgreSQL database share the work"
        )
        {
            config,
            set,
            urls,
        };
        serve.SetAction(
            async (r, token) =>
            {
                await Serve.RunAsync(
                    LoadConfig(r.GetRequiredValue(config), r.GetValue(set)),
                    r.GetRequiredValue(urls),
                    token
                );
                return 0;
            }
        );

        var ingest = new Command("ingest", "only the ingest stage, in this process: validation, quarantine, snapshot")
        {
            config,
            set,
            date,
        };
        ingest.SetAction(
            async (r, token) =>
            {
                var loaded = LoadConfig(r.GetRequiredValue(config), r.GetValue(set));
                var day = r.GetRequiredValue(date);
                var folder = RunFolder.Create(loaded, day, "cli-ingest", DateTimeOffset.UtcNow);
                await new IngestJob(Log.Logger).RunAsync(folder.Path, token);
                var lineage = IngestLineage.TryRead(folder)!;
                Log.Information(
                    "Ingest of {Dataset} for {Date} done: {Read} rows read, {Kept} kept, {Deduplicated} duplicates, {Quarantined} quarantined; run folder {Folder}",
                    loaded.DatasetName,
                    day,
                    lineage.Read,
                    lineage.Kept,
                    lineage.Deduplicated,
                    lineage.Quarantined,
                    folder.Path
                );
                return 0;
            }
        );

        var source = new Option<string>("--source")
        {
            Description = "a MovieLens release folder (ml-latest*, ml-25m… CSV, or ml-1m/ml-10m '::' .dat)",
            Required = true,
            HelpName = "DIR",
        };
        var importOut = new Option<string>("--out")
        {
            Description = "the dataset folder to write (the input layout)",
            Required = true,
            HelpName = "DIR",
        };
        var import = new Command("import-movielens", "convert a MovieLens release to the input layout")
        {
            source,
            importOut,
        };
        import.SetAction(
            async (r, token) =>
            {
                var summary = await MovieLensImporter.ImportAsync(
                    r.GetRequiredValue(source),
                    r.GetRequiredValue(importOut),
                    token
                );
                Log.Information(
                    "Imported {Ratings} ratings, {Movies} movies, {Tags} tag applications ({Format})",
                    summary.Ratings,
                    summary.Movies,
                    summary.TagApplications,
                    summary.Format
                );
                return 0;
            }
        );

        var models = new Option<string[]>("--models")
        {
            Description =
                "comma-separated models: kinds, KIND:LABEL variants (their compare.KIND:LABEL overrides) or auto",
            HelpName = "LIST",
            // every model kind (ConfigModule.modelKinds), so the simplest baselines are always in the table
            DefaultValueFactory = _ => [.. ConfigModule.modelKinds],
            CustomParser = r => r.Tokens.Count == 0 ? [.. ConfigModule.modelKinds] : List(r),
        };
        var seeds = new Option<int[]?>("--seeds")
        {
            Description = "comma-separated seeds (default: the config's train.seed)",
            HelpName = "LIST",
            CustomParser = ParseSeeds,
        };
        var compareOut = new Option<string?>("--out")
        {
            Description = "where comparison.{parquet,csv,md} go (default: <output>/comparison)",
            HelpName = "DIR",
        };
        var compare = new Command(
            "compare",
            "one ingest (one snapshot, one split), then every model × seed trained and evaluated"
        )
        {
            config,
            set,
            models,
            seeds,
            compareOut,
        };
        compare.SetAction(
            async (r, token) =>
            {
                var loaded = LoadConfig(r.GetRequiredValue(config), r.GetValue(set));
                var names = r.GetRequiredValue(models);
                // an absent --seeds reads as an empty list (System.CommandLine's default for arrays); an explicit empty one is
                // refused by ParseSeeds
                var seedList = r.GetValue(seeds) is { Length: > 0 } given ? given : [loaded.Config.Train.Seed];
                var outDir = Path.GetFullPath(
                    r.GetValue(compareOut) ?? Path.Combine(loaded.OutputDir, BatchRec.Jobs.Compare.Comparison.TableName)
                );
                var rows = await BatchRec.Jobs.Compare.Comparison.RunAsync(
                    loaded,
                    names,
                    seedList,
                    outDir,
                    Log.Logger,
                    token
                );
                Console.WriteLine(BatchRec.Jobs.Compare.Comparison.Markdown(rows));
                Log.Information(
                    "Comparison of {Models} over seeds {Seeds} written to {Out}",
                    string.Join(", ", names),
                    string.Join(", ", seedList),
                    outDir
                );
                return 0;
            }
        );

        var synthOut = new Option<string>("--out")
        {
            Description = "the dataset folder to write",
            Required = true,
            HelpName = "DIR",
        };
        var interactions = WholeNumber("--interactions", "interactions to generate", long.MaxValue, required: true);
        var users = WholeNumber("--users", "users (default: interactions / 20)", int.MaxValue);
        var items = WholeNumber("--items", "items (default: interactions / 100)", int.MaxValue);
        var seed = WholeNumber("--seed", "the generator's seed (default 2020)", int.MaxValue);
        var synth = new Command(
            "synth",
            "a seeded synthetic dataset in the input layout (power-law activity and popularity, planted communities, tags, text)"
        )
        {
            synthOut,
            interactions,
            users,
            items,
            seed,
        };
        synth.SetAction(
            async (r, token) =>
            {
                var spec = SyntheticSpec.OfSize(r.GetValue(interactions)!.Value, (int)(r.GetValue(seed) ?? 2020));
                if (r.GetValue(users) is { } u)
                    spec = spec with { Users = (int)u };
                if (r.GetValue(items) is { } i)
                    spec = spec with { Items = (int)i };
                var outDir = r.GetRequiredValue(synthOut);
                var summary = await SyntheticData.WriteAsync(spec, outDir, token);
                Log.Information(
                    "Wrote {Interactions} interactions of {Users} users over {Items} items in {Files} files to {Out} in {Seconds:F1} s",
                    summary.Interactions,
                    summary.Users,
                    summary.Items,
                    summary.Files,
                    Path.GetFullPath(outDir),
                    summary.Seconds
                );
                return 0;
            }
        );

        var label = new Option<string?>("--label")
        {
            Description = "the rows' label (default: the dataset name)",
            HelpName = "L",
        };
        var results = new Option<string>("--results")
        {
            Description = "the results folder (bench.csv and one Parquet file per run)",
            DefaultValueFactory = _ => Path.Combine("bench", "results"),
            HelpName = "DIR",
        };
        var reps = WholeNumber(
            "--scoring-reps",
            "with R > 0, also the scoring ratio against the bare user × item product, R repetitions",
            int.MaxValue
        );
        var runId = new Option<string?>("--run")
        {
            Description = "only the scoring ratio, on this finished run",
            HelpName = "RUN_ID",
        };
        var command = "batchrec " + string.Join(' ', args);
        var bench = new Command(
            "bench",
            "one run of the chain in this process, measured per stage; rows appended to DIR/bench.csv"
        )
        {
            config,
            set,
            label,
            results,
            reps,
            runId,
        };
        bench.SetAction(
            async (r, token) =>
            {
                var loaded = LoadConfig(r.GetRequiredValue(config), r.GetValue(set));
                var name = r.GetValue(label) ?? loaded.DatasetName;
                var dir = Path.GetFullPath(r.GetRequiredValue(results));
                var repetitions = (int)(r.GetValue(reps) ?? 0);
                var rows = r.GetValue(runId) is { } id
                    ? await ScaleBench.ScoringOnlyAsync(loaded, id, name, command, dir, repetitions, Log.Logger, token)
                    : await ScaleBench.RunAsync(loaded, name, command, dir, repetitions, Log.Logger, token);
                Log.Information(
                    "Benchmark {Label}: {Rows} figures appended to {Results}",
                    name,
                    rows.Count,
                    Path.Combine(dir, "bench.csv")
                );
                return 0;
            }
        );

        var benchText = new Command(
            "bench-text",
            "the items table's texts encoded with an empty cache (sentences/s), then again through it"
        )
        {
            config,
            set,
            label,
            results,
        };
        benchText.SetAction(
            async (r, token) =>
            {
                var loaded = LoadConfig(r.GetRequiredValue(config), r.GetValue(set));
                var name = r.GetValue(label) ?? loaded.DatasetName + "-text";
                var dir = Path.GetFullPath(r.GetRequiredValue(results));
                var rows = await TextBench.RunAsync(loaded, name, command, dir, Log.Logger, token);
                Log.Information(
                    "Benchmark {Label}: {Rows} figures appended to {Results}",
                    name,
                    rows.Count,
                    Path.Combine(dir, "bench.csv")
                );
                return 0;
            }
        );

        var annItems = new Option<int[]>("--items")
        {
            Description = "comma-separated catalogue sizes, one synthetic matrix each",
            HelpName = "LIST",
            DefaultValueFactory = _ => [100_000, 1_000_000],
            CustomParser = r => Positives(r, "--items", [100_000, 1_000_000]),
        };
        var annDim = WholeNumber("--dim", "dimensions of the vectors (default 384, the text encoder's)", 65_536);
        var annQueries = WholeNumber(
            "--queries",
            "sampled rows searched by both methods for recall and timing (default 1000)",
            int.MaxValue
        );
        var annK = WholeNumber("--k", "neighbours per query (default 10)", 10_000);
        var annSeed = WholeNumber("--seed", "the vectors' and the sample's seed (default 2020)", int.MaxValue);
        var d = ConfigModule.Default;
        var defaults = d.Search;
        var annM = WholeNumber("--connectivity", $"HNSW M (default search.connectivity, {defaults.Connectivity})", 256);
        var annEfAdd = WholeNumber(
            "--expansion-add",
            $"HNSW efConstruction (default search.expansionAdd, {defaults.ExpansionAdd})",
            int.MaxValue
        );
        var annEfSearch = WholeNumber(
            "--expansion-search",
            $"HNSW ef (default search.expansionSearch, {defaults.ExpansionSearch})",
            int.MaxValue
        );
        var annThreads = WholeNumber(
            "--threads",
            $"threads building the graph, 0 = one per core (default search.threads, {defaults.Threads})",
            4096
        );
        var annOut = new Option<string>("--out")
        {
            Description = "the results folder (bench.csv and one Parquet file per size)",
            DefaultValueFactory = _ => Path.Combine("bench", "results"),
            HelpName = "DIR",
        };
        var benchAnn = new Command(
            "bench-ann",
            "HNSW vs exact cosine k-NN on synthetic clustered vectors: build and search seconds, recall@k, peak RSS"
        )
        {
            annItems,
            annDim,
            annQueries,
            annK,
            annSeed,
            annM,
            annEfAdd,
            annEfSearch,
            annThreads,
            annOut,
            label,
        };
        benchAnn.SetAction(
            async (r, token) =>
            {
                var search = new SearchConfig(
                    0,
                    (int)(r.GetValue(annM) ?? defaults.Connectivity),
                    (int)(r.GetValue(annEfAdd) ?? defaults.ExpansionAdd),
                    (int)(r.GetValue(annEfSearch) ?? defaults.ExpansionSearch),
                    (int)(r.GetValue(annThreads) ?? defaults.Threads)
                );
                // the options are the search section's keys: the config's ranges apply
                var valid = ConfigModule.validate(
                    new Config(
                        d.Dataset,
                        d.Model,
                        d.Train,
                        d.Ease,
                        d.Blend,
                        d.Auto,
                        search,
                        d.Split,
                        d.Eval,
                        d.Score,
                        d.Text,
                        d.Ingest,
                        d.Publish,
                        d.Compare
                    )
                );
                if (valid.IsError)
                {
                    foreach (var e in valid.ErrorValue)
                        Console.Error.WriteLine($"batchrec: {e}");
                    return UsageError;
                }
                var spec = new AnnBenchSpec(
                    r.GetRequiredValue(annItems),
                    (int)(r.GetValue(annDim) ?? 384),
                    (int)(r.GetValue(annQueries) ?? 1000),
                    (int)(r.GetValue(annK) ?? 10),
                    (int)(r.GetValue(annSeed) ?? 2020),
                    search
                );
                if (spec.Dim < 1 || spec.Queries < 1 || spec.K < 1)
                {
                    Console.Error.WriteLine("batchrec: --dim, --queries and --k must be at least 1");
                    return UsageError;
                }
                var name = r.GetValue(label) ?? "ann";
                var dir = Path.GetFullPath(r.GetRequiredValue(annOut));
                var rows = await AnnBench.RunAsync(spec, name, command, dir, Log.Logger, token);
                Log.Information(
                    "Benchmark {Label}: {Rows} figures appended to {Results}",
                    name,
                    rows.Count,
                    Path.Combine(dir, "bench.csv")
                );
                return 0;
            }
        );

        foreach (var verb in new[] { run, serve, ingest, import, compare, synth, bench, benchText, benchAnn })
            root.Subcommands.Add(verb);
        return root;
    }

    private static async Task<int> RunChainAsync(LoadedConfig config, string date, CancellationToken ct)
    {
        Log.Information(
            "Run of {Dataset} for {Date}: input {Input}, output {Output}, storage {Storage}",
            config.DatasetName,
            date,
            config.InputDir,
            config.OutputDir,
            config.Host.Storage.Kind
        );
        var outcome = await RunOnce.ExecuteAsync(config, date, ct);
        if (outcome.Succeeded && outcome.State == RunState.Rejected)
        {
            Log.Warning(
                "Run {RunId} was rejected, nothing was published and the previous outputs under {Output} stay published: {Reason}",
                outcome.RunId,
                config.OutputDir,
                outcome.Reason
            );
            return 0;
        }
        if (outcome.Succeeded)
        {
            Log.Information("Run {RunId} succeeded; outputs under {Output}", outcome.RunId, config.OutputDir);
            return 0;
        }
        Log.Error("Run {RunId} failed in stage {Stage}: {Error}", outcome.RunId, outcome.FailedStage, outcome.Error);
        if (outcome.IsInputError)
            return UsageError; // the input or the config: the message says what to fix
        if (outcome.ErrorDetails is not null)
            Log.Error(
                "Stage {Stage} failed unexpectedly ({Type}); details for a bug report: {Details}",
                outcome.FailedStage,
                outcome.ErrorType,
                outcome.ErrorDetails
            );
        return 1;
    }

    // System.CommandLine may call an option's custom parser when the option is absent (no tokens, e.g. --seeds):
    // each parser below returns the option's default for that case itself.

    private static string ParseDate(ArgumentResult r)
    {
        if (r.Tokens.Count == 0)
            return DateOnly.FromDateTime(DateTime.UtcNow).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var text = r.Tokens.Single().Value;
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
            return text;
        r.AddError($"--date must be a date as YYYY-MM-DD, got '{text}'");
        return "";
    }

    private static string[] List(ArgumentResult r) =>
        r
            .Tokens.SelectMany(t =>
                t.Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            )
            .ToArray();

    private static int[] Positives(ArgumentResult r, string name, int[] fallback)
    {
        if (r.Tokens.Count == 0)
            return fallback;
        var values = new List<int>();
        foreach (var s in List(r))
        {
            if (int.TryParse(s.Replace("_", ""), NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0)
                values.Add(v);
            else
                r.AddError($"{name}: '{s}' is not a whole number above 0");
        }
        if (values.Count == 0)
            r.AddError($"{name} must name at least one number");
        return values.ToArray();
    }

    private static int[]? ParseSeeds(ArgumentResult r)
    {
        if (r.Tokens.Count == 0)
            return null; // the config's train.seed
        var seeds = new List<int>();
        foreach (var s in List(r))
        {
            if (int.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v))
                seeds.Add(v);
            else
                r.AddError($"--seeds: '{s}' is not an integer");
        }
        if (seeds.Count == 0)
            r.AddError("--seeds must name at least one seed");
        return seeds.ToArray();
    }

    /// <summary>A non-negative integer option ('_' allowed between digits: 1_000_000), at most <paramref name="max"/>.</summary>
    /// <summary>The config file with its overrides (environment, then --set), each override logged.</summary>
    private static LoadedConfig LoadConfig(string path, string[]? sets)
    {
        var loaded = ConfigLoader.Load(path, sets);
        foreach (var o in loaded.Overrides)
            Log.Information("Config override from {Source}: {Key} = {Value}", o.Source, o.Key, o.Value);
        return loaded;
    }

    private static Option<long?> WholeNumber(string name, string description, long max, bool required = false) =>
        new(name)
        {
            Description = description,
            Required = required,
            HelpName = "N",
            CustomParser = r =>
            {
                if (r.Tokens.Count == 0)
                    return null;
                var text = r.Tokens.Single().Value;
                if (
                    long.TryParse(text.Replace("_", ""), NumberStyles.None, CultureInfo.InvariantCulture, out var v)
                    && v <= max
                )
                    return v;
                r.AddError($"{name} must be a whole number from 0 to {max}, got '{text}'");
                return null;
            },
        };

    /// <summary>" (did you mean '--date'?)" for an unknown option or verb close to a valid one, else "".</summary>
    private static string Suggestion(ParseResult result, ParseError error)
    {
        var token = result.UnmatchedTokens.FirstOrDefault(t =>
            error.Message.Contains($"'{t}'", StringComparison.Ordinal)
        );
        if (token is null)
            return "";
        var command = result.CommandResult.Command;
        var candidates = token.StartsWith('-')
            ? command.Options.Where(o => !o.Hidden).Select(o => o.Name)
            : command.Subcommands.Select(c => c.Name);
        // the config reader's rule for a likely typo (ConfigBinding.nearestName)
        var best = ConfigBinding.nearestName(candidates, token);
        return best is null ? "" : $" (did you mean '{best.Value}'?)";
    }
}
