using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using BatchRec.Jobs.Ingest;
using BatchRec.Jobs.Io;
using BatchRec.Jobs.Orchestration;
using BatchRec.Jobs.Runs;
using Xunit;

namespace BatchRec.Host.Tests;

/// <summary><c>serve</c>'s Prometheus endpoint: the pipeline's metrics after a real run, and its access rule.</summary>
[Collection("hangfire")]
public partial class MetricsFacts
{
    private const string Date = "2026-11-28";
    private const string PasswordEnv = "BATCHREC_TEST_DASHBOARD_PASSWORD";

    /// <summary>One sample of a Prometheus text exposition: metric name, labels, value.</summary>
    private sealed record Sample(string Name, Dictionary<string, string> Labels, double Value);

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})?\s+(?<value>\S+)""")]
    private static partial Regex SampleLine();

    [GeneratedRegex("""(?<key>[a-zA-Z_][a-zA-Z0-9_]*)="(?<value>(?:[^"\\]|\\.)*)"\s*,?""")]
    private static partial Regex Label();

    private static List<Sample> Parse(string text) =>
        [
            .. text.Split('\n')
                .Where(l => l.Length > 0 && l[0] != '#')
                .Select(l => SampleLine().Match(l))
                .Where(m => m.Success)
                .Select(m => new Sample(
                    m.Groups["name"].Value,
                    Label()
                        .Matches(m.Groups["labels"].Value)
                        .ToDictionary(x => x.Groups["key"].Value, x => x.Groups["value"].Value),
                    double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture)
                )),
        ];

    /// <summary>The value of the one sample of <paramref name="name"/> whose labels include <paramref name="labels"/>.</summary>
    private static double Value(List<Sample> samples, string name, params (string Key, string Value)[] labels) =>
        Assert
            .Single(samples, s => s.Name == name && labels.All(l => s.Labels.GetValueOrDefault(l.Key) == l.Value))
            .Value;

    private static long Count(StageRecord record, string key) =>
        record.Details[key] is JsonElement e ? e.GetInt64() : Convert.ToInt64(record.Details[key]);

    [Fact]
    public async Task AfterAPublishedRun_TheScrapeHoldsEveryStagesDuration_TheIngestCounts_AndOnePublishedRun()
    {
        using var world = new PgWorld();
        var input = world.Dir.Sub("input");
        var good = await TinyDataset.WriteAsync(input);
        // one bad row beside the tiny dataset: its timestamp is past ingest.maxTimestamp (2100-01-01)
        await ColumnarFile.WriteAsync(
            Path.Combine(input, "interactions", "dt=2026-11-27", "part-00001.parquet"),
            [
                new("user_id", new[] { 1000L }),
                new("item_id", new[] { 50L }),
                new("weight", new[] { 1f }),
                new("timestamp", new[] { 9_000_000_000L }),
            ]
        );
        const int shards = 2;
        var config = world.Config($$""", "jobs": { "scoreShards": {{shards}} }""");
        var port = Postgres.FreePort();
        await using var serving = new DashboardFacts.Serving(config, $"http://127.0.0.1:{port}", port);
        using (var up = await serving.GetWhenUpAsync("/metrics"))
        {
            Assert.Equal(HttpStatusCode.OK, up.StatusCode);
            Assert.DoesNotContain("batchrec_", await up.Content.ReadAsStringAsync()); // nothing ran yet
        }
        var storage = HangfireSetup.CreateStorage(config);
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        using (
            var trigger = await serving.Http.PostAsync(
                "/hangfire/runs/trigger",
                new FormUrlEncodedContent([new("date", Date)])
            )
        )
            Assert.Equal(HttpStatusCode.NoContent, trigger.StatusCode);
        var folder = Assert.Single(RunLauncher.Runs(config));
        var outcome = await RunWaiter.WaitAsync(storage, folder, TimeSpan.FromMilliseconds(200), cts.Token);
        Assert.True(outcome.Succeeded, outcome.Error);

        // the exporter may answer from a short-lived cache of its last scrape: scrape until the run is in it
        List<Sample> samples;
        for (var attempt = 0; ; attempt++)
        {
            using var scrape = await serving.Http.GetAsync("/metrics", cts.Token);
            Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
            var debugText = await scrape.Content.ReadAsStringAsync(cts.Token);
            File.WriteAllText("/tmp/otel-scrape.txt", debugText);
            samples = Parse(debugText);
            if (samples.Any(s => s.Name == "batchrec_runs_published_total") || attempt == 50)
                break;
            await Task.Delay(200, cts.Token);
        }

        var tiny = ("dataset", "tiny");
        foreach (var stage in new[] { "ingest", "train", "evaluate", "publish" })
            Assert.Equal(
                1,
                Value(
                    samples,
                    "batchrec_stage_duration_seconds_count",
                    tiny,
                    ("stage", stage),
                    ("outcome", "succeeded")
                )
            );
        // scoring runs as shards, each a stage body of its own
        Assert.Equal(
            shards,
            Value(samples, "batchrec_stage_duration_seconds_count", tiny, ("stage", "score"), ("outcome", "succeeded"))
        );
        Assert.DoesNotContain(samples, s => s.Labels.GetValueOrDefault("outcome") == "failed");
        Assert.DoesNotContain(samples, s => s.Name == "batchrec_stage_failures_total");
        var ingestSeconds = Value(samples, "batchrec_stage_duration_seconds_sum", tiny, ("stage", "ingest"));
        var stages = folder.ReadStages();
        var ingest = Assert.Single(stages, s => s.Stage == "ingest");
        Assert.Equal(ingest.Seconds, ingestSeconds, 1e-6);

        var interactions = ("table", "interactions");
        var read = Value(samples, "batchrec_ingest_rows_read_total", tiny, interactions);
        Assert.Equal(Count(ingest, "interactions"), read);
        Assert.Equal(good + 1, read);
        Assert.Equal(Count(ingest, "kept"), Value(samples, "batchrec_ingest_rows_kept_total", tiny, interactions));
        Assert.Equal(
            Count(ingest, "deduplicated"),
            Value(samples, "batchrec_ingest_rows_deduplicated_total", tiny, interactions)
        );
        Assert.Equal(1, Count(ingest, "quarantined"));
        var quarantined = Assert.Single(samples, s => s.Name == "batchrec_ingest_rows_quarantined_total");
        Assert.Equal(1, quarantined.Value);
        Assert.Equal("timestamp_out_of_range", quarantined.Labels["reason"]);
        Assert.Equal("interactions", quarantined.Labels["table"]);
        var lineage = IngestLineage.TryRead(folder)!;
        Assert.Equal(TinyDataset.Items, lineage.ItemsTableRows);
        Assert.Equal(TinyDataset.Items, Value(samples, "batchrec_ingest_rows_read_total", tiny, ("table", "items")));
        Assert.Equal(TinyDataset.Items, Value(samples, "batchrec_ingest_rows_kept_total", tiny, ("table", "items")));

        Assert.Equal(1, Value(samples, "batchrec_runs_published_total", tiny));
        Assert.DoesNotContain(samples, s => s.Name == "batchrec_runs_rejected_total");
        var manifest = Json.Read<Manifest>(Path.Combine(folder.Path, "manifest.json"));
        Assert.Equal(
            manifest.Rows["recommendations"],
            Value(samples, "batchrec_recommendations_published_total", tiny)
        );
    }

    [Fact]
    public async Task ARunThePublishGateRejects_IsCountedAsRejected_WithTheGateAsReason_AndPublishesNoRows()
    {
        using var dir = new TempDir();
        await TinyDataset.WriteAsync(dir.Sub("input"));
        var config = PublishGateFacts.Config(dir);
        using var recorder = new MetricsRecorder();

        var first = await RunOnce.ExecuteAsync(config, "2026-11-27", CancellationToken.None);
        Assert.Equal(RunState.Published, first.State);
        await PublishGateFacts.CollapseToOneUserAsync(dir.Sub("input"));
        var second = await RunOnce.ExecuteAsync(config, Date, CancellationToken.None);
        Assert.Equal(RunState.Rejected, second.State);

        var published = Assert.Single(recorder.Of("batchrec.runs.published"));
        Assert.Equal(1, published.Value);
        var rejected = Assert.Single(recorder.Of("batchrec.runs.rejected"));
        Assert.Equal(
            (1.0, "publish_gate", "tiny"),
            (rejected.Value, rejected.Tags["reason"], rejected.Tags["dataset"])
        );
        var rows = Assert.Single(recorder.Of("batchrec.recommendations.published"));
        Assert.Equal(TinyDataset.Users * 5, rows.Value); // the first night's rows only (score.k = 5)
        Assert.Equal(2, recorder.Of("batchrec.stage.duration", ("stage", "publish"), ("outcome", "succeeded")).Count);
    }

    [Fact]
    public async Task WithCredentialsConfigured_AScrapeWithoutThemGets401_AndWithThem200()
    {
        using var dir = new TempDir();
        Environment.SetEnvironmentVariable(PasswordEnv, "s3cret-for-test");
        var config = TinyDataset.Config(
            dir,
            "input",
            $$""", "dashboard": { "username": "ops", "passwordEnv": "{{PasswordEnv}}" }"""
        );
        var port = Postgres.FreePort();
        await using var serving = new DashboardFacts.Serving(config, $"http://0.0.0.0:{port}", port);

        using var anonymous = await serving.GetWhenUpAsync("/metrics");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Contains("Basic", anonymous.Headers.WwwAuthenticate.ToString());
        Assert.DoesNotContain("# TYPE", await anonymous.Content.ReadAsStringAsync());
        using var wrong = await serving.GetWhenUpAsync("/metrics", DashboardFacts.Basic("ops", "guess"));
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        using var ok = await serving.GetWhenUpAsync("/metrics", DashboardFacts.Basic("ops", "s3cret-for-test"));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.StartsWith("text/plain", ok.Content.Headers.ContentType?.MediaType);
        Assert.Contains("# TYPE", await ok.Content.ReadAsStringAsync()); // the runtime's meters at least
    }

    [Fact]
    public async Task TheMetricsPath_MovesTheEndpoint_AndEmptyTurnsItOff()
    {
        using var dir = new TempDir();
        var moved = TinyDataset.Config(dir, "input", """, "dashboard": { "metricsPath": "/ops/metrics" }""");
        var port = Postgres.FreePort();
        await using (var serving = new DashboardFacts.Serving(moved, $"http://127.0.0.1:{port}", port))
        {
            using var ok = await serving.GetWhenUpAsync("/ops/metrics");
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            using var old = await serving.GetWhenUpAsync("/metrics");
            Assert.Equal(HttpStatusCode.NotFound, old.StatusCode);
        }
        using var dir2 = new TempDir();
        var off = TinyDataset.Config(dir2, "input", """, "dashboard": { "metricsPath": "" }""");
        port = Postgres.FreePort();
        await using (var serving = new DashboardFacts.Serving(off, $"http://127.0.0.1:{port}", port))
        {
            using var dashboard = await serving.GetWhenUpAsync("/hangfire");
            Assert.Equal(HttpStatusCode.OK, dashboard.StatusCode);
            using var none = await serving.GetWhenUpAsync("/metrics");
            Assert.Equal(HttpStatusCode.NotFound, none.StatusCode);
        }
    }
}
