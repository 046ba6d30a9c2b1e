using System.Globalization;
using BatchRec.Jobs.Bench;
using BatchRec.Jobs.Configuration;
using BatchRec.Jobs.Ingest;
using BatchRec.Jobs.Io;
using BatchRec.Jobs.Orchestration;
using BatchRec.Jobs.Runs;
using BatchRec.Jobs.Stages;
using Serilog;

namespace BatchRec.Host;

/// <summary>The command-line verbs: run, serve, ingest, import-movielens.</summary>
public static class Cli
{
    public const string Usage = """
        usage:
          batchrec run --config FILE [--date YYYY-MM-DD]      one run of the nightly chain on embedded Hangfire, then exit
          batchrec serve --config FILE [--urls URL]          Hangfire server + dashboard with the nightly schedule
          batchrec ingest --config FILE [--date YYYY-MM-DD]   only the ingest stage, in this process (validation, quarantine, snapshot)
          batchrec import-movielens --source DIR --out DIR   convert a MovieLens release (CSV or .dat) to the input layout
          batchrec compare --config FILE [--models LIST] [--seeds LIST] [--out DIR]
                                                             train and evaluate several models on one snapshot and split;
                                                             writes comparison.{parquet,csv,md} (default: all five models,
                                                             the config's seed, DIR = <output>/comparison)
          batchrec synth --out DIR --interactions N [--users U] [--items I] [--seed S]
                                                             write a synthetic dataset in the input layout (power-law
                                                             activity and popularity, planted communities, tags, text;
                                                             default U = N/20, I = N/100)
          batchrec bench --config FILE [--label L] [--results DIR] [--scoring-reps R] [--run RUN_ID]
                                                             one run of the chain in this process, measured per stage
                                                             (seconds, peak RSS, rates); with R > 0 also the scoring ratio
                                                             against the bare user × item product; rows appended to
                                                             DIR/bench.csv (default bench/results); --run: only the
                                                             scoring ratio, on that finished run
          batchrec bench-text --config FILE [--label L] [--results DIR]
                                                             the items table's texts encoded with an empty cache
                                                             (sentences/s), then again through that cache; rows
                                                             appended to DIR/bench.csv (default bench/results)
        """;

    public static async Task<int> RunAsync(string[] args, CancellationToken ct = default)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            Console.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        var options = ParseOptions(args.Skip(1).ToArray());
        switch (args[0])
        {
            case "run":
            {
                var config = ConfigLoader.Load(Required(options, "config"));
                var date = Date(options);
                Log.Information("Run of {Dataset} for {Date}: input {Input}, output {Output}, storage {Storage}",
                    config.DatasetName, date, config.InputDir, config.OutputDir, config.Config.Storage.Kind);
                var outcome = await RunOnce.ExecuteAsync(config, date, ct);
                if (outcome.Succeeded && outcome.State == RunState.Rejected)
                {
                    Log.Warning("Run {RunId} was rejected, nothing was published and the previous outputs under {Output} stay published: {Reason}",
                        outcome.RunId, config.OutputDir, outcome.Reason);
                    return 0;
                }
                if (outcome.Succeeded)
                {
                    Log.Information("Run {RunId} succeeded; outputs under {Output}", outcome.RunId, config.OutputDir);
                    return 0;
                }
                Log.Error("Run {RunId} failed in stage {Stage}: {Error}", outcome.RunId, outcome.FailedStage, outcome.Error);
                if (outcome.IsInputError)
                    return 2; // the input or the config: the message says what to fix
                if (outcome.ErrorDetails is not null)
                    Log.Error("Stage {Stage} failed unexpectedly ({Type}); details for a bug report: {Details}", outcome.FailedStage, outcome.ErrorType, outcome.ErrorDetails);
                return 1;
            }
            case "serve":
            {
                var config = ConfigLoader.Load(Required(options, "config"));
                await Serve.RunAsync(config, options.GetValueOrDefault("urls") ?? "http://127.0.0.1:5080", ct);
                return 0;
            }
            case "ingest":
            {
                var config = ConfigLoader.Load(Required(options, "config"));
                var date = Date(options);
                var folder = RunFolder.Create(config, date, "cli-ingest", DateTimeOffset.UtcNow);
                await new IngestJob(Log.Logger).RunAsync(folder.Path, ct);
                var lineage = IngestLineage.TryRead(folder)!;
                Log.Information("Ingest of {Dataset} for {Date} done: {Read} rows read, {Kept} kept, {Deduplicated} duplicates, {Quarantined} quarantined; run folder {Folder}",
                    config.DatasetName, date, lineage.Read, lineage.Kept, lineage.Deduplicated, lineage.Quarantined, folder.Path);
                return 0;
            }
            case "import-movielens":
            {
                var summary = await MovieLensImporter.ImportAsync(Required(options, "source"), Required(options, "out"), ct);
                Log.Information("Imported {Ratings} ratings, {Movies} movies, {Tags} tag applications ({Format})",
                    summary.Ratings, summary.Movies, summary.TagApplications, summary.Format);
                return 0;
            }
            case "compare":
            {
                var config = ConfigLoader.Load(Required(options, "config"));
                var models = (options.GetValueOrDefault("models") ?? "popularity,bpr-mf,lightgcn,gat,gat-text")
                    .Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                var seeds = options.TryGetValue("seeds", out var s)
                    ? s.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                        .Select(x => int.TryParse(x, CultureInfo.InvariantCulture, out var v) ? v : throw new ArgumentException($"--seeds: '{x}' is not an integer"))
                        .ToArray()
                    : [config.Config.Train.Seed];
                var outDir = Path.GetFullPath(options.GetValueOrDefault("out") ?? Path.Combine(config.OutputDir, BatchRec.Jobs.Compare.Comparison.TableName));
                var rows = await BatchRec.Jobs.Compare.Comparison.RunAsync(config, models, seeds, outDir, Log.Logger, ct);
                Console.WriteLine(BatchRec.Jobs.Compare.Comparison.Markdown(rows));
                Log.Information("Comparison of {Models} over seeds {Seeds} written to {Out}", string.Join(", ", models), string.Join(", ", seeds), outDir);
                return 0;
            }
            case "synth":
            {
                var n = Number(options, "interactions", long.MaxValue, required: true)!.Value;
                var spec = SyntheticSpec.OfSize(n, (int)(Number(options, "seed", int.MaxValue) ?? 2020));
                if (Number(options, "users", int.MaxValue) is { } u) spec = spec with { Users = (int)u };
                if (Number(options, "items", int.MaxValue) is { } i) spec = spec with { Items = (int)i };
                var summary = await SyntheticData.WriteAsync(spec, Required(options, "out"), ct);
                Log.Information("Wrote {Interactions} interactions of {Users} users over {Items} items in {Files} files to {Out} in {Seconds:F1} s",
                    summary.Interactions, summary.Users, summary.Items, summary.Files, Path.GetFullPath(Required(options, "out")), summary.Seconds);
                return 0;
            }
            case "bench":
            {
                var config = ConfigLoader.Load(Required(options, "config"));
                var label = options.GetValueOrDefault("label") ?? config.DatasetName;
                var results = Path.GetFullPath(options.GetValueOrDefault("results") ?? Path.Combine("bench", "results"));
                var reps = (int)(Number(options, "scoring-reps", int.MaxValue) ?? 0);
                var command = "batchrec " + string.Join(' ', args);
                var rows = options.TryGetValue("run", out var runId)
                    ? await ScaleBench.ScoringOnlyAsync(config, runId, label, command, results, reps, Log.Logger, ct)
                    : await ScaleBench.RunAsync(config, label, command, results, reps, Log.Logger, ct);
                Log.Information("Benchmark {Label}: {Rows} figures appended to {Results}", label, rows.Count, Path.Combine(results, "bench.csv"));
                return 0;
            }
            case "bench-text":
            {
                var config = ConfigLoader.Load(Required(options, "config"));
                var label = options.GetValueOrDefault("label") ?? config.DatasetName + "-text";
                var results = Path.GetFullPath(options.GetValueOrDefault("results") ?? Path.Combine("bench", "results"));
                var rows = await TextBench.RunAsync(config, label, "batchrec " + string.Join(' ', args), results, Log.Logger, ct);
                Log.Information("Benchmark {Label}: {Rows} figures appended to {Results}", label, rows.Count, Path.Combine(results, "bench.csv"));
                return 0;
            }
            default:
                Console.Error.WriteLine($"unknown command '{args[0]}'");
                Console.Error.WriteLine(Usage);
                return 2;
        }
    }

    private static Dictionary<string, string> ParseOptions(string[] args)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
                throw new ArgumentException($"expected --name value pairs, got '{args[i]}'{Environment.NewLine}{Usage}");
            result[args[i][2..]] = args[++i];
        }
        return result;
    }

    private static string Required(Dictionary<string, string> options, string name) =>
        options.TryGetValue(name, out var v) ? v : throw new ArgumentException($"missing --{name}{Environment.NewLine}{Usage}");

    /// <summary>--date as YYYY-MM-DD, default today (UTC).</summary>
    private static string Date(Dictionary<string, string> options)
    {
        if (!options.TryGetValue("date", out var date)) return DateOnly.FromDateTime(DateTime.UtcNow).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        return DateOnly.TryParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _)
            ? date
            : throw new ArgumentException($"--date must be a date as YYYY-MM-DD, got '{date}'");
    }

    /// <summary>A non-negative integer option ('_' allowed between digits: 1_000_000), at most <paramref name="max"/>; null when absent and not required.</summary>
    private static long? Number(Dictionary<string, string> options, string name, long max, bool required = false)
    {
        if (!options.TryGetValue(name, out var text))
            return required ? throw new ArgumentException($"missing --{name}{Environment.NewLine}{Usage}") : null;
        return long.TryParse(text.Replace("_", ""), NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v <= max
            ? v
            : throw new ArgumentException($"--{name} must be a whole number from 0 to {max}, got '{text}'");
    }
}
