using System.Globalization;
using System.Net;
using System.Text;
using BatchRec.Jobs.Runs;
using BatchRec.Jobs.Stages;
using Hangfire.Dashboard;
using Hangfire.Dashboard.Pages;

namespace BatchRec.Host.Dashboard;

/// <summary>
/// The dashboard's page of one run (<c>/hangfire/runs/RUN_ID</c>): its state, the per-stage timeline, each model's
/// training curve (loss and validation metric per epoch, or the validation score of each setting tried), every candidate
/// model's metrics, the ingest counts per quarantine reason, the published partitions, and three users' recommendations
/// with item titles and the history item each is explained by. Everything is drawn on the server (<see cref="Svg"/>).
/// </summary>
public sealed class RunPage(string runId) : RazorPage
{
    /// <summary>The route: run ids are DATASET-DATE-TIME-HEX (the dataset name may hold '-', '_' and '.').</summary>
    public const string Route = "/runs/(?<runId>[A-Za-z0-9._-]+-\\d{4}-\\d{2}-\\d{2}-\\d{8}T\\d{6}Z-[0-9a-f]{6})";

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private static readonly string[] Colours = ["#337ab7", "#5cb85c", "#f0ad4e", "#d9534f", "#5bc0de", "#777777"];

    public override void Execute()
    {
        Layout = new LayoutPage("Run " + runId);
        var state =
            Context.GetHttpContext().RequestServices.GetService(typeof(DashboardState)) as DashboardState
            ?? throw new InvalidOperationException("The run page needs DashboardState in the host's services.");
        var d = RunDetails.Load(state.Config, state.Storage, runId);
        var sb = new StringBuilder("<div class=\"row\"><div class=\"col-md-12\" id=\"run-page\">");
        sb.Append("<p><a href=\"").Append(H(Url.To(RunsPage.Path))).Append("\">← all runs</a></p>");
        if (d is null)
        {
            Context.Response.StatusCode = 404;
            sb.Append("<h1 class=\"page-header\">No run ").Append(H(runId)).Append("</h1></div></div>");
            WriteLiteral(sb.ToString());
            return;
        }
        Header(sb, d);
        TimelineSection(sb, d);
        CurvesSection(sb, d);
        MetricsSection(sb, d);
        IngestSection(sb, d);
        PublishedSection(sb, d, state);
        PreviewSection(sb, d);
        sb.Append("</div></div>");
        WriteLiteral(sb.ToString());
    }

    private static void Header(StringBuilder sb, RunDetails d)
    {
        var c = d.Context;
        sb.Append("<h1 class=\"page-header\">Run ").Append(H(c.RunId)).Append("</h1>");
        sb.Append("<table class=\"table table-condensed\" id=\"run-facts\" style=\"width:auto\"><tbody>");
        void Row(string k, string? v)
        {
            if (!string.IsNullOrEmpty(v))
                sb.Append("<tr><th>").Append(H(k)).Append("</th><td>").Append(H(v)).Append("</td></tr>");
        }
        Row("dataset", c.Dataset);
        Row("date", c.Date);
        Row("created", c.CreatedUtc.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", Inv));
        Row("trigger", c.Trigger);
        sb.Append("<tr><th>state</th><td class=\"state\" data-state=\"")
            .Append(H(d.State.State))
            .Append("\">")
            .Append(H(d.State.State))
            .Append("</td></tr>");
        Row("failed stage", d.State.FailedStage);
        Row("error", d.State.Error);
        Row("reason", d.State.Reason);
        Row("model", d.Model);
        Row("first stage", c.FirstStage);
        Row("reuses run", c.ReusedRun);
        sb.Append("</tbody></table>");
    }

    private static void TimelineSection(StringBuilder sb, RunDetails d)
    {
        sb.Append("<h3>Stages</h3>");
        // a rerun's copied records of the stages before its first are the reused run's, with its times: not drawn
        var chain = StageNames.Chain.ToList();
        var first = Math.Max(0, chain.IndexOf(d.Context.FirstStage));
        var records = d
            .Stages.Where(s => s.Stage != StageNames.Score || d.Shards.Count == 0)
            .Where(s => chain.IndexOf(s.Stage) is var i && (i < 0 || i >= first))
            .ToList();
        if (first > 0)
            sb.Append("<p class=\"reused\">")
                .Append(H(string.Join(", ", chain.Take(first))))
                .Append(": reused from run ")
                .Append(H(d.Context.ReusedRun))
                .Append(" (not drawn).</p>");
        var spans = new List<(string Label, StageRecord Record)>();
        spans.AddRange(records.Select(r => (r.Stage, r)));
        spans.AddRange(d.Shards.Select((r, i) => ($"{StageNames.Score} shard {i}", r)));
        spans.Sort((a, b) => a.Record.StartedUtc.CompareTo(b.Record.StartedUtc));
        if (spans.Count == 0)
        {
            sb.Append("<p>No stage has finished yet.</p>");
            return;
        }
        var t0 = spans.Min(s => s.Record.StartedUtc);
        var colour = new Dictionary<string, string>();
        foreach (var name in StageNames.Chain)
            colour[name] = Colours[colour.Count % Colours.Length];
        sb.Append(
            Svg.Timeline(
                "timeline-svg",
                [
                    .. spans.Select(s => new Svg.Span(
                        s.Label,
                        (s.Record.StartedUtc - t0).TotalSeconds,
                        (s.Record.FinishedUtc - t0).TotalSeconds,
                        colour.GetValueOrDefault(s.Record.Stage, "#777777")
                    )),
                ]
            )
        );
    }

    private static void CurvesSection(StringBuilder sb, RunDetails d)
    {
        sb.Append("<h3>Training</h3>");
        if (d.Curves is null || d.Curves.Models.Count == 0)
        {
            sb.Append("<p>No training record (the train stage has not finished, or ran before curves were kept).</p>");
            return;
        }
        var metric = d.Curves.Metric;
        var n = 0;
        foreach (var m in d.Curves.Models)
        {
            n++;
            sb.Append("<div class=\"curve\" data-model=\"").Append(H(m.Model)).Append("\"><h4>").Append(H(m.Model));
            if (d.Auto is { } a)
                sb.Append(m.Model == a.Chosen ? " (chosen)" : " (candidate)");
            sb.Append("</h4>");
            if (m.Epochs.Count > 0)
            {
                var best = m.Epochs.Where(e => e.Improved).Select(e => e.Epoch).DefaultIfEmpty(-1).Last();
                sb.Append(
                    Svg.LineChart(
                        $"loss-svg-{n}",
                        "epoch",
                        "training loss",
                        [
                            new(
                                "loss",
                                "loss",
                                Colours[0],
                                [.. m.Epochs.Select(e => new ChartPoint(e.Epoch, e.Loss, e.Loss.ToString("F4", Inv)))]
                            ),
                        ],
                        width: 480
                    )
                );
                var valid = m.Epochs.Where(e => e.Valid is not null).ToList();
                if (valid.Count > 0)
                    sb.Append(' ')
                        .Append(
                            Svg.LineChart(
                                $"valid-svg-{n}",
                                "epoch",
                                "valid " + metric,
                                [
                                    new(
                                        "valid " + metric,
                                        "valid",
                                        Colours[1],
                                        [
                                            .. valid.Select(e => new ChartPoint(
                                                e.Epoch,
                                                e.Valid!.Value,
                                                e.Valid.Value.ToString("F4", Inv)
                                            )),
                                        ]
                                    ),
                                ],
                                width: 480
                            )
                        );
                sb.Append("<p>")
                    .Append(m.Epochs.Count)
                    .Append(" epochs")
                    .Append(best >= 0 ? $"; best validation at epoch {best}" : "")
                    .Append(".</p>");
            }
            if (m.Tuning.Count > 0)
            {
                var points = m
                    .Tuning.Select((p, i) => new ChartPoint(i, p.Valid, p.Valid.ToString("F4", Inv)))
                    .ToList();
                sb.Append(
                    Svg.LineChart(
                        $"tuning-svg-{n}",
                        "setting tried",
                        metric + " (valid / pseudo-new)",
                        [new("score per setting", "tuning", Colours[2], points)],
                        [.. m.Tuning.Select((p, i) => ((double)i, "#" + (i + 1).ToString(Inv)))],
                        width: Math.Clamp(60 * m.Tuning.Count + 100, 480, 960)
                    )
                );
                sb.Append(
                        "<table class=\"table table-condensed tuning\" style=\"width:auto\"><thead><tr><th>#</th><th>setting</th><th>split</th><th>"
                    )
                    .Append(H(metric))
                    .Append("</th><th>seconds</th></tr></thead><tbody>");
                foreach (var (p, i) in m.Tuning.Select((p, i) => (p, i)))
                    sb.Append("<tr><td>#")
                        .Append(i + 1)
                        .Append("</td><td>")
                        .Append(H(p.Setting))
                        .Append("</td><td>")
                        .Append(H(p.Split))
                        .Append("</td><td>")
                        .Append(p.Valid.ToString("F4", Inv))
                        .Append("</td><td>")
                        .Append(p.Seconds.ToString("F1", Inv))
                        .Append("</td></tr>");
                sb.Append("</tbody></table>");
            }
            if (m.Epochs.Count == 0 && m.Tuning.Count == 0)
                sb.Append("<p>No epochs or settings (a closed-form model with nothing to tune).</p>");
            sb.Append("</div>");
        }
    }

    private static void MetricsSection(StringBuilder sb, RunDetails d)
    {
        sb.Append("<h3>Metrics of every model</h3>");
        if (d.Metrics.Count == 0)
        {
            sb.Append("<p>Not evaluated yet.</p>");
            return;
        }
        var columns = d
            .Metrics.Select(m => (m.Metric, m.K))
            .Distinct()
            .OrderBy(c => c.Metric, StringComparer.Ordinal)
            .ThenBy(c => c.K)
            .ToList();
        sb.Append(
            "<table class=\"table table-condensed table-striped\" id=\"candidates\"><thead><tr><th>model</th><th>role</th><th>split</th>"
        );
        foreach (var (metric, k) in columns)
            sb.Append("<th>").Append(H($"{metric}@{k}")).Append("</th>");
        sb.Append("</tr></thead><tbody>");
        foreach (var g in d.Metrics.GroupBy(m => (m.Model, m.Role, m.Split)))
        {
            sb.Append("<tr class=\"candidate\" data-model=\"")
                .Append(H(g.Key.Model))
                .Append("\" data-split=\"")
                .Append(H(g.Key.Split))
                .Append("\"><td>")
                .Append(H(g.Key.Model))
                .Append("</td><td>")
                .Append(H(g.Key.Role))
                .Append("</td><td>")
                .Append(H(g.Key.Split))
                .Append("</td>");
            var values = g.ToDictionary(m => (m.Metric, m.K), m => m.Value);
            foreach (var c in columns)
                sb.Append("<td>")
                    .Append(values.TryGetValue(c, out var v) ? v.ToString("F4", Inv) : "–")
                    .Append("</td>");
            sb.Append("</tr>");
        }
        sb.Append("</tbody></table>");
    }

    private static void IngestSection(StringBuilder sb, RunDetails d)
    {
        sb.Append("<h3>Ingest</h3>");
        if (d.Ingest is not { } l)
        {
            sb.Append("<p>No ingest record (this run reuses another run's ingest, or ingest has not finished).</p>");
            return;
        }
        sb.Append("<table class=\"table table-condensed\" id=\"ingest\" style=\"width:auto\"><tbody>");
        void Row(string k, long v, string cls = "") =>
            sb.Append("<tr")
                .Append(cls == "" ? "" : $" class=\"{cls}\"")
                .Append("><th>")
                .Append(H(k))
                .Append("</th><td>")
                .Append(v.ToString("N0", Inv))
                .Append("</td></tr>");
        Row("rows read", l.Read);
        Row("kept", l.Kept);
        Row("duplicates dropped", l.Deduplicated);
        Row("quarantined", l.Quarantined);
        foreach (var (reason, count) in l.QuarantinedByReason.OrderByDescending(x => x.Value))
            sb.Append("<tr class=\"reason\" data-reason=\"")
                .Append(H(reason))
                .Append("\"><td>&nbsp;&nbsp;")
                .Append(H(reason))
                .Append("</td><td>")
                .Append(count.ToString("N0", Inv))
                .Append("</td></tr>");
        sb.Append("</tbody></table>");
        if (l.Partitions.Count > 0)
        {
            sb.Append(
                "<table class=\"table table-condensed\" id=\"partitions\" style=\"width:auto\"><thead><tr><th>input partition</th><th>read</th><th>kept</th><th>duplicates</th><th>quarantined</th><th>reused</th></tr></thead><tbody>"
            );
            foreach (var p in l.Partitions)
                sb.Append("<tr><td>")
                    .Append(H(p.Stats.Partition ?? "(unpartitioned)"))
                    .Append("</td><td>")
                    .Append(p.Stats.Read.ToString("N0", Inv))
                    .Append("</td><td>")
                    .Append(p.Stats.Kept.ToString("N0", Inv))
                    .Append("</td><td>")
                    .Append(p.Stats.Deduplicated.ToString("N0", Inv))
                    .Append("</td><td>")
                    .Append((p.Stats.Quarantined.Values.Sum() + p.ItemUnknown).ToString("N0", Inv))
                    .Append("</td><td>")
                    .Append(p.Reused ? "yes" : "no")
                    .Append("</td></tr>");
            sb.Append("</tbody></table>");
        }
    }

    private static void PublishedSection(StringBuilder sb, RunDetails d, DashboardState state)
    {
        sb.Append("<h3>Published partitions</h3>");
        if (d.Published.Count == 0)
        {
            sb.Append("<p>Nothing published by this run.</p>");
            return;
        }
        sb.Append(
            "<table class=\"table table-condensed\" id=\"published\"><thead><tr><th>table</th><th>partition</th><th>version folder</th><th>current</th></tr></thead><tbody>"
        );
        foreach (var (table, version) in d.Published.OrderBy(x => x.Key, StringComparer.Ordinal))
        {
            var root = Path.Combine(state.Config.OutputDir, table);
            var current = Jobs.Publishing.Publisher.CurrentVersion(root, d.Context.Date);
            var isCurrent = current is not null && Path.GetFullPath(current) == Path.GetFullPath(version);
            sb.Append("<tr class=\"partition\" data-table=\"")
                .Append(H(table))
                .Append("\"><td>")
                .Append(H(table))
                .Append("</td><td>dt=")
                .Append(H(d.Context.Date))
                .Append("</td><td><code>")
                .Append(H(version))
                .Append("</code></td><td>")
                .Append(
                    isCurrent ? "yes"
                    : Directory.Exists(version) ? "no (replaced)"
                    : "no (deleted)"
                )
                .Append("</td></tr>");
        }
        sb.Append("</tbody></table>");
    }

    private static void PreviewSection(StringBuilder sb, RunDetails d)
    {
        sb.Append("<h3>Recommendations of the first users</h3>");
        if (d.Preview.Count == 0)
        {
            sb.Append("<p>No recommendations to show (not scored yet, or this run's version has been deleted).</p>");
            return;
        }
        sb.Append("<p>From <code>").Append(H(d.PreviewSource)).Append("</code>.</p>");
        foreach (var u in d.Preview)
        {
            sb.Append("<div class=\"preview\" data-user=\"")
                .Append(H(u.User))
                .Append("\"><h4>User ")
                .Append(H(u.User))
                .Append(
                    "</h4><table class=\"table table-condensed\"><thead><tr><th>rank</th><th>item</th><th>score</th><th>why</th></tr></thead><tbody>"
                );
            foreach (var r in u.Rows)
            {
                sb.Append("<tr><td>")
                    .Append(r.Rank)
                    .Append("</td><td class=\"item\">")
                    .Append(H(r.Title ?? r.Item))
                    .Append(r.Title is null ? "" : $" <small>({H(r.Item)})</small>")
                    .Append(r.ColdStart ? " <span class=\"label label-info\">new</span>" : "")
                    .Append("</td><td>")
                    .Append(r.Score.ToString("F4", Inv))
                    .Append("</td><td class=\"why\">");
                if (r.ReasonItem is not null)
                    sb.Append("because you watched ").Append(H(r.ReasonTitle ?? r.ReasonItem));
                sb.Append("</td></tr>");
            }
            sb.Append("</tbody></table></div>");
        }
    }

    private static string H(object? o) => WebUtility.HtmlEncode(o?.ToString() ?? "");
}
