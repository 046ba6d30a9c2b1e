using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using BatchRec.Core;
using BatchRec.Jobs.Configuration;
using BatchRec.Jobs.Orchestration;
using BatchRec.Jobs.Runs;
using BatchRec.Jobs.Stages;
using Hangfire;
using Hangfire.Dashboard;
using Hangfire.Dashboard.Pages;

namespace BatchRec.Host.Dashboard;

/// <summary>What the dashboard extensions need from the serving host: its config and job storage.</summary>
public sealed record DashboardState(
    LoadedConfig Config,
    JobStorage Storage,
    RunLauncher Launcher,
    IBackgroundJobClient Client
);

/// <summary>One row of the Runs page.</summary>
public sealed record RunRow(
    string RunId,
    string Dataset,
    string Date,
    DateTimeOffset Created,
    string Trigger,
    string State,
    IReadOnlyDictionary<string, double> StageSeconds,
    long? Interactions,
    long? Users,
    long? Recommendations,
    double? ValidNdcg10,
    double? TestNdcg10,
    double? ChampionNdcg10,
    string? Note,
    string? Model = null
)
{
    public static IReadOnlyList<RunRow> Load(LoadedConfig config, JobStorage storage, int max = 50)
    {
        using var connection = storage.GetConnection();
        var rows = new List<RunRow>();
        foreach (var folder in RunLauncher.Runs(config).Take(max))
        {
            var c = folder.ReadContext();
            var state = RunState.Of(connection, folder);
            var stages = folder.ReadStages().ToDictionary(s => s.Stage);
            long? Num(string stage, string key) =>
                stages.TryGetValue(stage, out var s)
                && s.Details.GetValueOrDefault(key) is JsonElement { ValueKind: JsonValueKind.Number } e
                    ? e.GetInt64()
                    : null;
            var metricsFile = Path.Combine(folder.EvalDir, EvaluateJob.MetricsFile);
            var metrics = File.Exists(metricsFile) ? EvaluateJob.ReadMetrics(folder) : [];
            double? Metric(string split) => Champion.figure(split, metrics);
            var decision = EvaluateJob.ReadDecision(folder);
            var note = state.State == RunState.Failed ? $"{state.FailedStage}: {state.Error}" : decision?.Reason;
            rows.Add(
                new RunRow(
                    c.RunId,
                    c.Dataset,
                    c.Date,
                    c.CreatedUtc,
                    c.Trigger,
                    state.State,
                    stages.ToDictionary(s => s.Key, s => s.Value.Seconds),
                    Num(StageNames.Ingest, "interactions"),
                    Num(StageNames.Ingest, "users"),
                    Num(StageNames.Score, "rows"),
                    Metric("valid"),
                    Metric("test"),
                    decision?.ChampionNdcg10,
                    note,
                    ModelOf(folder)
                )
            );
        }
        return rows;
    }

    /// <summary>The trained model's kind; for model.kind auto also every candidate's validation score and the choice.</summary>
    private static string? ModelOf(RunFolder folder)
    {
        if (!File.Exists(Path.Combine(folder.ModelDir, "model.json")))
            return null;
        var kind = BatchRec.Jobs.Store.ModelStore.ReadInfo(folder.ModelDir).Kind;
        var auto = AutoChoice.Read(folder);
        if (auto is null)
            return kind;
        var inv = CultureInfo.InvariantCulture;
        // each candidate's validation score, and for all but the best the best's paired per-user lead over it ± its standard error
        return $"{auto.Chosen} (auto, by valid {auto.Metric}, the earliest within {auto.StandardErrors.ToString("G", inv)} standard errors of the best: "
            + string.Join(
                ", ",
                auto.Candidates.Select(x =>
                    x.Kind
                    + " "
                    + x.Valid.ToString("F4", inv)
                    + (
                        x.BestMinusThis == 0 && x.StandardError == 0
                            ? ""
                            : $" (best − it {x.BestMinusThis.ToString("F4", inv)} ± {x.StandardError.ToString("F4", inv)})"
                    )
                )
            )
            + ")";
    }
}

/// <summary>
/// The dashboard's "Runs" page: one row per run (id, dataset, date, state, per-stage seconds, row counts, NDCG@10,
/// published/rejected with both figures; the id links to the run's page, <see cref="RunPage"/>) and a chart of test
/// NDCG@10 over the last runs by date, drawn on the server as SVG with its axes and values. Forms post to the rerun
/// commands (hidden in read-only mode).
/// </summary>
public sealed class RunsPage : RazorPage
{
    public const string Path = "/runs";

    public override void Execute()
    {
        Layout = new LayoutPage("Runs");
        var state =
            Context.GetHttpContext().RequestServices.GetService(typeof(DashboardState)) as DashboardState
            ?? throw new InvalidOperationException("The Runs page needs DashboardState in the host's services.");
        var rows = RunRow.Load(state.Config, state.Storage);
        var inv = CultureInfo.InvariantCulture;
        static string H(object? o) => WebUtility.HtmlEncode(o?.ToString() ?? "");
        string F(double? v) => v is { } x && !double.IsNaN(x) ? x.ToString("F4", inv) : "–";
        var sb = new StringBuilder();
        sb.Append("<div class=\"row\"><div class=\"col-md-12\"><h1 class=\"page-header\">Runs of ")
            .Append(H(state.Config.DatasetName))
            .Append("</h1>");

        // chart: oldest to newest, runs that have a test NDCG@10
        var points = rows.Where(r => r.TestNdcg10 is not null)
            .Take(30)
            .Reverse()
            .Select(r => (Run: r.RunId, r.Date, Ndcg: r.TestNdcg10!.Value))
            .ToList();
        sb.Append("<h3>Test NDCG@10 over the last runs</h3><div id=\"ndcg-chart\">");
        if (points.Count == 0)
            sb.Append("<p>No run has metrics yet.</p>");
        else
            sb.Append(
                Svg.LineChart(
                    "ndcg-svg",
                    "run date (oldest to newest)",
                    "test NDCG@10",
                    [
                        new(
                            "test NDCG@10",
                            "ndcg",
                            "#337ab7",
                            [.. points.Select((p, i) => new ChartPoint(i, p.Ndcg, p.Ndcg.ToString("F4", inv), p.Run))]
                        ),
                    ],
                    [.. points.Select((p, i) => ((double)i, p.Date))],
                    width: 760,
                    height: 260
                )
            );
        sb.Append("</div>");

        sb.Append(
                "<table class=\"table table-striped\" id=\"runs\"><thead><tr><th>Run</th><th>Dataset</th><th>Date</th><th>Trigger</th><th>State</th><th>Model</th>"
            )
            .Append(
                "<th>Stage seconds</th><th>Interactions</th><th>Users</th><th>Recommendations</th><th>Valid NDCG@10</th><th>Test NDCG@10</th><th>Champion NDCG@10</th><th>Note</th></tr></thead><tbody>"
            );
        foreach (var r in rows)
        {
            var stages = string.Join(
                ", ",
                StageNames
                    .Chain.Where(r.StageSeconds.ContainsKey)
                    .Select(s => $"{s} {r.StageSeconds[s].ToString("F1", inv)}")
            );
            sb.Append("<tr class=\"run\" data-run=\"")
                .Append(H(r.RunId))
                .Append("\" data-state=\"")
                .Append(H(r.State))
                .Append("\">")
                .Append("<td><a href=\"")
                .Append(H(Url.To(RunsPage.Path + "/" + r.RunId)))
                .Append("\">")
                .Append(H(r.RunId))
                .Append("</a></td><td>")
                .Append(H(r.Dataset))
                .Append("</td><td>")
                .Append(H(r.Date))
                .Append("</td><td>")
                .Append(H(r.Trigger))
                .Append("</td><td class=\"state\">")
                .Append(H(r.State))
                .Append("</td><td class=\"model\">")
                .Append(H(r.Model))
                .Append("</td><td>")
                .Append(H(stages))
                .Append("</td><td>")
                .Append(H(r.Interactions))
                .Append("</td><td>")
                .Append(H(r.Users))
                .Append("</td><td>")
                .Append(H(r.Recommendations))
                .Append("</td><td>")
                .Append(F(r.ValidNdcg10))
                .Append("</td><td>")
                .Append(F(r.TestNdcg10))
                .Append("</td><td>")
                .Append(F(r.ChampionNdcg10))
                .Append("</td><td>")
                .Append(H(r.Note))
                .Append("</td></tr>");
        }
        sb.Append("</tbody></table>");

        if (!Context.IsReadOnly)
        {
            var trigger = Url.To(DashboardCommands.TriggerPath);
            var backfill = Url.To(DashboardCommands.BackfillPath);
            sb.Append("<h3>Reruns</h3>")
                .Append("<form method=\"post\" action=\"")
                .Append(H(trigger))
                .Append("\">Date (empty = today) <input name=\"date\" placeholder=\"YYYY-MM-DD\"> ")
                .Append(
                    "from stage <select name=\"fromStage\"><option>ingest</option><option>train</option><option>evaluate</option><option>score</option></select> "
                )
                .Append(
                    "reusing run (empty = latest of that date) <input name=\"reuseRun\"> <button type=\"submit\" class=\"btn btn-primary btn-sm\">Run</button></form><br>"
                )
                .Append("<form method=\"post\" action=\"")
                .Append(H(backfill))
                .Append(
                    "\">Backfill from <input name=\"from\" placeholder=\"YYYY-MM-DD\"> to <input name=\"to\" placeholder=\"YYYY-MM-DD\"> "
                )
                .Append("<button type=\"submit\" class=\"btn btn-default btn-sm\">Backfill</button></form>");
        }
        sb.Append("</div></div>");
        WriteLiteral(sb.ToString());
    }
}

/// <summary>The dashboard's rerun endpoints (POST, form-encoded), registered as Hangfire dashboard commands.</summary>
public static class DashboardCommands
{
    public const string TriggerPath = "/runs/trigger";
    public const string BackfillPath = "/runs/backfill";
    private static int _registered;

    /// <summary>Adds the Runs page, its menu item and the commands to Hangfire's (process-wide) dashboard routes, once.</summary>
    public static void Register()
    {
        if (Interlocked.Exchange(ref _registered, 1) == 1)
            return;
        DashboardRoutes.Routes.AddRazorPage(RunsPage.Path, _ => new RunsPage());
        NavigationMenu.Items.Add(page => new MenuItem("Runs", page.Url.To(RunsPage.Path))
        {
            Active = page.RequestPath.StartsWith(RunsPage.Path, StringComparison.Ordinal),
        });
        DashboardRoutes.Routes.AddCommand(TriggerPath, Trigger);
        DashboardRoutes.Routes.AddCommand(BackfillPath, Backfill);
        DashboardRoutes.Routes.AddRazorPage(RunPage.Route, m => new RunPage(m.Groups["runId"].Value));
    }

    private static DashboardState State(DashboardContext context) =>
        (DashboardState?)context.GetHttpContext().RequestServices.GetService(typeof(DashboardState))
        ?? throw new InvalidOperationException("DashboardState is not registered.");

    private static string? Form(DashboardContext context, string name)
    {
        var v = context.Request.GetFormValuesAsync(name).GetAwaiter().GetResult().FirstOrDefault();
        return string.IsNullOrWhiteSpace(v) ? null : v.Trim();
    }

    /// <summary>Trigger now (no date), rerun a date, or rerun a date from a stage reusing an earlier run's outputs.</summary>
    private static bool Trigger(DashboardContext context)
    {
        if (context.IsReadOnly)
            return false;
        var state = State(context);
        var config = state.Config;
        var zone = TimeZoneInfo.FindSystemTimeZoneById(config.Host.Schedule.TimeZone);
        var date = Form(context, "date")
            ?? DateOnly
                .FromDateTime(TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, zone).DateTime)
                .ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        try
        {
            var result = state.Launcher.Trigger(
                config,
                date,
                "dashboard",
                Form(context, "fromStage") ?? StageNames.Ingest,
                Form(context, "reuseRun")
            );
            Serilog.Log.Information("Dashboard trigger for {Date}: {Message}", date, result.Message);
            return result.Started;
        }
        catch (ArgumentException e)
        {
            Serilog.Log.Warning("Dashboard trigger refused: {Message}", e.Message);
            return false;
        }
    }

    /// <summary>Enqueues a backfill job for [from, to]; it starts one run per date with bounded concurrency.</summary>
    private static bool Backfill(DashboardContext context)
    {
        if (context.IsReadOnly)
            return false;
        var state = State(context);
        var from = Form(context, "from");
        var to = Form(context, "to");
        if (
            from is null
            || to is null
            || !DateOnly.TryParseExact(from, "yyyy-MM-dd", out var f)
            || !DateOnly.TryParseExact(to, "yyyy-MM-dd", out var t)
            || t < f
        )
            return false;
        var path = state.Config.FilePath;
        string[] sets = [.. state.Config.Sets];
        state.Client.Enqueue<BackfillJob>(j => j.RunAsync(path, from, to, sets, CancellationToken.None));
        return true;
    }
}
