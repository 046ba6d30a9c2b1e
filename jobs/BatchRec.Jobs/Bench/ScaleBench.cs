using System.Diagnostics;
using System.Globalization;
using System.Text;
using BatchRec.Core;
using BatchRec.Jobs.Configuration;
using BatchRec.Jobs.Orchestration;
using BatchRec.Jobs.Runs;
using BatchRec.Jobs.Stages;
using BatchRec.Jobs.Store;
using Parquet.Serialization;
using Serilog;

namespace BatchRec.Jobs.Bench;

/// <summary>One measured figure of a benchmark run (a row of bench results).</summary>
public sealed class BenchRow
{
    public string DateUtc { get; set; } = "";
    public string Label { get; set; } = "";
    public string Machine { get; set; } = "";
    public string Command { get; set; } = "";
    public string RunId { get; set; } = "";
    public long Interactions { get; set; }
    public int Users { get; set; }
    public int Items { get; set; }
    public string Model { get; set; } = "";

    /// <summary>ingest, graph, train, evaluate, score, publish, total; scoring-ratio rows: bare-product, scoring-rows, scoring,
    /// bare-product-in-a-run, scoring-in-a-run, tiled-product, scoring-vs-tiled, tiled-product-in-a-run.</summary>
    public string Stage { get; set; } = "";
    public double Seconds { get; set; }

    /// <summary>The process's peak RSS during the stage (MiB); for total, the largest stage peak.</summary>
    public double PeakRssMiB { get; set; }

    /// <summary>The stage's rate in <see cref="Unit"/> (rows/s, s/epoch, users/s, or the scoring/bare ratio).</summary>
    public double Rate { get; set; }
    public string Unit { get; set; } = "";
    public string Notes { get; set; } = "";
}

/// <summary>
/// The benchmark harness (`batchrec bench`): one run of the nightly chain in this process (the embedded Hangfire
/// server, exactly what `batchrec run` does), then its per-stage records (seconds and the process's peak RSS during
/// each stage, see <see cref="Stage"/>) become result rows: ingest rows/s, graph build time, seconds per epoch,
/// evaluation time, scoring users/s, publish time. Optionally the scoring ratio: in the same process, the bare
/// user × item product of the trained factors against the full scoring path (mask, top-K, reasons, Parquet rows),
/// each timed <c>reps</c> times after a warm-up (median). Rows are appended to <c>results/bench.csv</c> and written
/// to <c>results/&lt;label&gt;-&lt;time&gt;.parquet</c>.
/// </summary>
public static class ScaleBench
{
    /// <summary>Only the scoring ratio, on a finished run of this config (its id under the work folder).</summary>
    public static async Task<IReadOnlyList<BenchRow>> ScoringOnlyAsync(
        LoadedConfig config,
        string runId,
        string label,
        string command,
        string resultsDir,
        int scoringReps,
        ILogger log,
        CancellationToken ct
    )
    {
        var folder = new RunFolder(Path.Combine(config.WorkDir, "runs", runId));
        var info = SnapshotStore.ReadInfo(folder.SnapshotDir);
        var started = DateTimeOffset.UtcNow;
        var row = RowMaker(folder, info, started, label, command, runId);
        var rows = (await ScoringRatioAsync(folder, config, Math.Max(1, scoringReps), row, log, ct)).ToList();
        await WriteAsync(resultsDir, label, started, rows, ct);
        return rows;
    }

    public static async Task<IReadOnlyList<BenchRow>> RunAsync(
        LoadedConfig config,
        string label,
        string command,
        string resultsDir,
        int scoringReps,
        ILogger log,
        CancellationToken ct
    )
    {
        var date = DateOnly.FromDateTime(DateTime.UtcNow).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var started = DateTimeOffset.UtcNow;
        var wall = Stopwatch.StartNew();
        ProcessMemory.StageWindows = true; // each stage record then holds its own window's peak
        var outcome = await RunOnce.ExecuteAsync(config, date, ct);
        wall.Stop();
        if (!outcome.Succeeded)
            throw new InvalidOperationException(
                $"benchmark run {outcome.RunId} failed in stage {outcome.FailedStage}: {outcome.Error}"
            );
        var folder = new RunFolder(Path.Combine(config.WorkDir, "runs", outcome.RunId));
        var stages = folder.ReadStages().ToDictionary(s => s.Stage);
        var info = SnapshotStore.ReadInfo(folder.SnapshotDir);
        var rows = new List<BenchRow>();
        var row = RowMaker(folder, info, started, label, command, outcome.RunId);
        double D(StageRecord s, string key) =>
            s.Details.GetValueOrDefault(key) is System.Text.Json.JsonElement e
            && e.ValueKind == System.Text.Json.JsonValueKind.Number
                ? e.GetDouble()
                : double.NaN;
        var ingest = stages[StageNames.Ingest];
        rows.Add(
            row(
                "ingest",
                ingest.Seconds,
                D(ingest, "peakRssMiB"),
                info.InteractionsRead / ingest.Seconds,
                "rows/s",
                $"{D(ingest, "kept"):F0} kept, {D(ingest, "quarantined"):F0} quarantined, {D(ingest, "deduplicated"):F0} duplicates"
            )
        );
        var train = stages[StageNames.Train];
        rows.Add(
            row(
                "graph",
                D(train, "graphSeconds"),
                double.NaN,
                double.NaN,
                "",
                "split graphs (train/valid/test CSRs) from the snapshot; the model's own adjacency is built inside train"
            )
        );
        var cfg = config.Config;
        rows.Add(
            row(
                "train",
                D(train, "trainSeconds"),
                D(train, "peakRssMiB"),
                D(train, "secondsPerEpoch"),
                "s/epoch",
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"{D(train, "epochs"):F0} epochs (best {D(train, "bestEpoch"):F0}), batch {cfg.Train.BatchSize}, dim {cfg.Model.Dim}, {cfg.Model.Layers} layers, lr {cfg.Train.LearningRate}, threads {cfg.Train.Threads}{(cfg.Train.Fanout.IsEmpty ? "" : ", fan-out [" + string.Join(", ", cfg.Train.Fanout) + "]")}; train stage total {train.Seconds:F1} s incl. snapshot read and validation"
                )
            )
        );
        var evaluate = stages[StageNames.Evaluate];
        rows.Add(
            row(
                "evaluate",
                evaluate.Seconds,
                D(evaluate, "peakRssMiB"),
                double.NaN,
                "",
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"test NDCG@10 {D(evaluate, "testNdcg@10"):F4}, Recall@10 {D(evaluate, "testRecall@10"):F4}; valid + test full ranking (+ champion check)"
                )
            )
        );
        var score = stages[StageNames.Score];
        rows.Add(
            row(
                "score",
                score.Seconds,
                D(score, "peakRssMiB"),
                D(score, "users") / score.Seconds,
                "users/s",
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"{D(score, "rows"):F0} rows in {D(score, "shards"):F0} shards, top-{cfg.Score.K}, {ConfigModule.blockUsers(cfg.Score.UserChunk, cfg.Score.BlockMiB, info.Items)} users per block"
                )
            )
        );
        var publish = stages[StageNames.Publish];
        rows.Add(row("publish", publish.Seconds, D(publish, "peakRssMiB"), double.NaN, "", ""));
        var peak = rows.Select(r => r.PeakRssMiB).Where(p => !double.IsNaN(p)).DefaultIfEmpty(double.NaN).Max();
        rows.Add(
            row("total", wall.Elapsed.TotalSeconds, peak, double.NaN, "", "the whole run, from trigger to published")
        );
        if (scoringReps > 0)
            rows.AddRange(await ScoringRatioAsync(folder, config, scoringReps, row, log, ct));
        foreach (var r in rows)
            log.Information(
                "bench {Label} {Stage}: {Seconds:F2} s, peak RSS {Peak:F0} MiB, {Rate:G4} {Unit} {Notes}",
                label,
                r.Stage,
                r.Seconds,
                r.PeakRssMiB,
                r.Rate,
                r.Unit,
                r.Notes
            );
        await WriteAsync(resultsDir, label, started, rows, ct);
        return rows;
    }

    /// <summary>A row factory for one run: date, machine, command and the run's sizes filled in; the stage's figures given.</summary>
    private static Func<string, double, double, double, string, string, BenchRow> RowMaker(
        RunFolder folder,
        SnapshotInfo info,
        DateTimeOffset started,
        string label,
        string command,
        string runId
    )
    {
        var machine = Machine();
        var model = ModelStore.ReadInfo(folder.ModelDir).Kind;
        return (stage, seconds, peak, rate, unit, notes) =>
            new BenchRow
            {
                DateUtc = started.ToString("yyyy-MM-dd'T'HH:mm'Z'", CultureInfo.InvariantCulture),
                Label = label,
                Machine = machine,
                Command = command,
                RunId = runId,
                Interactions = info.InteractionsRead,
                Users = info.Users,
                Items = info.Items,
                Model = model,
                Stage = stage,
                Seconds = seconds,
                PeakRssMiB = peak,
                Rate = rate,
                Unit = unit,
                Notes = notes,
            };
    }

    /// <summary>
    /// Bare product (U·Iᵀ chunk by chunk into one reused buffer, discarded: the matrix products alone, see
    /// BareProduct) against the scoring path (from the model's factor arrays: masking, top-K, reasons,
    /// and the rows streamed to a Parquet file; also without the writing), all over every user, in this process: a
    /// warm-up of each, then <paramref name="reps"/> timed repetitions of each, interleaved (medians, and the
    /// median and quartiles of each repetition's own ratio); then the bare product and the scoring each
    /// <paramref name="reps"/> times in a row after a warm-up of 3 (medians). The bare product's time depends on
    /// whether its [users × items] output is still in the cache: back to back it is, after other work it is not
    /// (bench/README.md shows both). So on the CPU the scorer's own products are also timed (each worker's
    /// blocks of users × 1024 items into its own buffer, which stays in that core's cache; no selection), interleaved
    /// and in a run: the product at its best in either setting.
    /// </summary>
    private static async Task<IEnumerable<BenchRow>> ScoringRatioAsync(
        RunFolder folder,
        LoadedConfig config,
        int reps,
        Func<string, double, double, double, string, string, BenchRow> row,
        ILogger log,
        CancellationToken ct
    )
    {
        var (snapshot, graphs, model, device) = await TrainedInputs.LoadAsync(folder, config.Config, ct);
        var info = SnapshotStore.ReadInfo(folder.SnapshotDir);
        var users = snapshot.UserIds.Count;
        var tmp = Path.Combine(folder.Path, "bench-scoring.parquet");
        var chunk = ConfigModule.blockUsers(
            config.Config.Score.UserChunk,
            config.Config.Score.BlockMiB,
            snapshot.ItemIds.Count
        );
        async Task<double> Scoring()
        {
            var sw = Stopwatch.StartNew();
            await ScoreShardJob.WritePartAsync(
                tmp,
                config.Config,
                device,
                snapshot,
                graphs,
                model,
                info,
                "bench",
                0,
                users,
                ct
            );
            return sw.Elapsed.TotalSeconds;
        }
        using var bareProduct = new BareProduct(device, model, chunk);
        double Bare()
        {
            var sw = Stopwatch.StartNew();
            bareProduct.Run();
            return sw.Elapsed.TotalSeconds;
        }
        // the scorer's own products: its CPU path only (on a GPU the scorer ranks with libtorch, like the bare product)
        var onCpu = device.type == TorchSharp.DeviceType.CPU;
        using var tiledProduct = onCpu ? new BareProduct(device, model, chunk, true) : null;
        double Tiled()
        {
            if (tiledProduct is null)
                return double.NaN;
            var sw = Stopwatch.StartNew();
            tiledProduct.Run();
            return sw.Elapsed.TotalSeconds;
        }
        double Compute()
        {
            var sw = Stopwatch.StartNew();
            foreach (var _ in Pipeline.scoreRange(config.Config, device, graphs, model, 0, users)) { }
            return sw.Elapsed.TotalSeconds;
        }
        Bare();
        Tiled();
        Compute();
        await Scoring();
        var bare = new List<double>();
        var tiled = new List<double>();
        var compute = new List<double>();
        var full = new List<double>();
        for (var i = 0; i < reps; i++)
        {
            bare.Add(Bare());
            tiled.Add(Tiled());
            compute.Add(Compute());
            full.Add(await Scoring());
        }
        // each repetition's own ratio (the pair ran back to back, so a slow spell of the machine hits both)
        var paired = full.Select((x, i) => x / bare[i]).ToList();
        // the same two, each run reps times in a row (after a warm-up of 3): the machine's best case for each
        var bareRun = new List<double>();
        var tiledRun = new List<double>();
        var fullRun = new List<double>();
        for (var i = 0; i < reps + 3; i++)
        {
            var x = Bare();
            if (i >= 3)
                bareRun.Add(x);
        }
        for (var i = 0; i < reps + 3; i++)
        {
            var x = Tiled();
            if (i >= 3)
                tiledRun.Add(x);
        }
        for (var i = 0; i < reps + 3; i++)
        {
            var x = await Scoring();
            if (i >= 3)
                fullRun.Add(x);
        }
        File.Delete(tmp);
        static double Quantile(List<double> xs, double q)
        {
            var s = xs.Order().ToList();
            return s[(int)Math.Round(q * (s.Count - 1))];
        }
        static double Median(List<double> xs) => Quantile(xs, 0.5);
        double b = Median(bare),
            t = Median(tiled),
            c = Median(compute),
            f = Median(full),
            br = Median(bareRun),
            tr = Median(tiledRun),
            fr = Median(fullRun);
        log.Information(
            "Scoring ratio: bare product {Bare:F4} s, scoring {Full:F4} s (of which the rows without writing {Compute:F4} s); median of {Reps}; ratio {Ratio:F2}; "
                + "per repetition {PairedMedian:F2} (quartiles {P25:F2}–{P75:F2}); each in a run of {Reps} calls: bare {BareRun:F4} s, scoring {FullRun:F4} s, ratio {RunRatio:F2}; "
                + "the scorer's own tiled products {Tiled:F4} s interleaved (scoring {TiledRatio:F2}× that), {TiledRun:F4} s in a run",
            b,
            f,
            c,
            reps,
            f / b,
            Median(paired),
            Quantile(paired, 0.25),
            Quantile(paired, 0.75),
            reps,
            br,
            fr,
            fr / br,
            t,
            f / t,
            tr
        );
        var note = string.Create(
            CultureInfo.InvariantCulture,
            $"{users} users × {snapshot.ItemIds.Count} items, dim {model.Dim}, chunk {chunk}, median of {reps}"
        );
        var pairedNote = string.Create(
            CultureInfo.InvariantCulture,
            $"; per-repetition ratio median {Median(paired):F2}, quartiles {Quantile(paired, 0.25):F2}–{Quantile(paired, 0.75):F2}"
        );
        List<BenchRow> rows =
        [
            row("bare-product", b, double.NaN, users / b, "users/s", note + "; interleaved with the scoring calls"),
            row("scoring-rows", c, double.NaN, c / b, "× bare", note + "; mask, top-K, reasons (no writing)"),
            row("scoring", f, double.NaN, f / b, "× bare", note + "; mask, top-K, reasons, Parquet rows" + pairedNote),
            row("bare-product-in-a-run", br, double.NaN, users / br, "users/s", note + $"; {reps} calls in a row"),
            row("scoring-in-a-run", fr, double.NaN, fr / br, "× bare in a run", note + $"; {reps} calls in a row"),
        ];
        if (onCpu)
            rows.AddRange([
                row(
                    "tiled-product",
                    t,
                    double.NaN,
                    users / t,
                    "users/s",
                    note
                        + "; the scorer's own products (each worker its blocks of users × 1024 items), no selection; interleaved with the scoring calls"
                ),
                row(
                    "scoring-vs-tiled",
                    f,
                    double.NaN,
                    f / t,
                    "× tiled product",
                    note + "; scoring (interleaved) against the scorer's own products (interleaved)"
                ),
                row("tiled-product-in-a-run", tr, double.NaN, users / tr, "users/s", note + $"; {reps} calls in a row"),
            ]);
        return rows;
    }

    internal static async Task WriteAsync(
        string dir,
        string label,
        DateTimeOffset started,
        List<BenchRow> rows,
        CancellationToken ct
    )
    {
        Directory.CreateDirectory(dir);
        var stamp = started.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var safe = string.Concat(label.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' ? c : '_'));
        await ParquetSerializer.SerializeAsync(
            rows,
            Path.Combine(dir, $"{safe}-{stamp}.parquet"),
            cancellationToken: ct
        );
        var csv = Path.Combine(dir, "bench.csv");
        var sb = new StringBuilder();
        if (!File.Exists(csv))
            sb.Append(
                "date_utc,label,machine,command,run_id,interactions,users,items,model,stage,seconds,peak_rss_mib,rate,unit,notes\n"
            );
        static string Q(string s) => "\"" + s.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
        foreach (var r in rows)
            sb.Append(
                CultureInfo.InvariantCulture,
                $"{r.DateUtc},{Q(r.Label)},{Q(r.Machine)},{Q(r.Command)},{r.RunId},{r.Interactions},{r.Users},{r.Items},{r.Model},{r.Stage},{r.Seconds:F3},{r.PeakRssMiB:F0},{r.Rate:G6},{Q(r.Unit)},{Q(r.Notes)}\n"
            );
        await File.AppendAllTextAsync(csv, sb.ToString(), ct);
    }

    /// <summary>Cores, memory, CPU model and OS of this machine, for the results.</summary>
    public static string Machine()
    {
        var cpu = "";
        double memGiB = double.NaN;
        try
        {
            cpu = File.ReadLines("/proc/cpuinfo")
                .FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))
                ?.Split(':', 2)[1]
                .Trim()
                ?? "";
            var mem = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
            memGiB =
                long.Parse(mem.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture)
                / 1048576.0;
        }
        catch (Exception e)
            when (e is IOException or UnauthorizedAccessException or FormatException or InvalidOperationException) { }
        return string.Create(
            CultureInfo.InvariantCulture,
            $"{Environment.ProcessorCount} cores, {memGiB:F0} GiB, {cpu}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}"
        );
    }
}
