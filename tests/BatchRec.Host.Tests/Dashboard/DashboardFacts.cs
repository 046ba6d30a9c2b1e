using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using BatchRec.Host;
using BatchRec.Jobs.Configuration;
using BatchRec.Jobs.Orchestration;
using BatchRec.Jobs.Runs;
using Xunit;

namespace BatchRec.Host.Tests;

[Collection("hangfire")]
public class DashboardFacts
{
    private const string Date = "2026-11-28";
    private const string PasswordEnv = "BATCHREC_TEST_DASHBOARD_PASSWORD";

    /// <summary>Serves <paramref name="config"/> on <paramref name="urls"/> until the returned handle is disposed.</summary>
    internal sealed class Serving : IAsyncDisposable
    {
        private readonly CancellationTokenSource _cts = new(TimeSpan.FromMinutes(5));
        private readonly Task _task;
        public HttpClient Http { get; }
        public string BaseUrl { get; }

        public Serving(LoadedConfig config, string urls, int port)
        {
            BaseUrl = $"http://127.0.0.1:{port}";
            _task = Serve.RunAsync(config, urls, _cts.Token);
            Http = new HttpClient { BaseAddress = new Uri(BaseUrl) };
        }

        public async Task<HttpResponseMessage> GetWhenUpAsync(string path, AuthenticationHeaderValue? auth = null)
        {
            for (var attempt = 0; ; attempt++)
            {
                if (_task.IsFaulted)
                    await _task;
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, path);
                    request.Headers.Authorization = auth;
                    return await Http.SendAsync(request);
                }
                catch (HttpRequestException) when (attempt < 150)
                {
                    await Task.Delay(200);
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _cts.CancelAsync();
            await _task;
            Http.Dispose();
            _cts.Dispose();
        }
    }

    internal static AuthenticationHeaderValue Basic(string user, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));

    [Fact]
    public async Task Dashboard_Answers401WithoutCredentials_WhenNotBoundToLoopback()
    {
        using var dir = new TempDir();
        Environment.SetEnvironmentVariable(PasswordEnv, "s3cret-for-test");
        var config = TinyDataset.Config(
            dir,
            "input",
            $$""", "dashboard": { "username": "ops", "passwordEnv": "{{PasswordEnv}}" }"""
        );
        var port = Postgres.FreePort();
        await using var serving = new Serving(config, $"http://0.0.0.0:{port}", port);

        using var anonymous = await serving.GetWhenUpAsync("/hangfire");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Contains("Basic", anonymous.Headers.WwwAuthenticate.ToString());
        using var wrong = await serving.GetWhenUpAsync("/hangfire", Basic("ops", "guess"));
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        using var runsAnonymous = await serving.GetWhenUpAsync("/hangfire/runs");
        Assert.Equal(HttpStatusCode.Unauthorized, runsAnonymous.StatusCode);
        using var postAnonymous = await serving.Http.PostAsync(
            "/hangfire/runs/trigger",
            new FormUrlEncodedContent([new("date", Date)])
        );
        Assert.Equal(HttpStatusCode.Unauthorized, postAnonymous.StatusCode);
        Assert.False(Directory.Exists(Path.Combine(config.WorkDir, "runs")));
        using var ok = await serving.GetWhenUpAsync("/hangfire/runs", Basic("ops", "s3cret-for-test"));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task Serve_Refuses_ANonLoopbackDashboardWithoutCredentials()
    {
        using var dir = new TempDir();
        var config = TinyDataset.Config(dir, "input");
        var ex = await Assert.ThrowsAsync<ConfigException>(() =>
            Serve.RunAsync(config, "http://0.0.0.0:5999", CancellationToken.None)
        );
        Assert.Contains("dashboard.username", ex.Message);
        Assert.Contains("0.0.0.0", ex.Message);
    }

    [Fact]
    public async Task Dashboard_ReadOnly_RefusesReruns_AndShowsNoRerunForms()
    {
        using var dir = new TempDir();
        var config = TinyDataset.Config(dir, "input", """, "dashboard": { "readOnly": true }""");
        var port = Postgres.FreePort();
        await using var serving = new Serving(config, $"http://127.0.0.1:{port}", port);
        using var page = await serving.GetWhenUpAsync("/hangfire/runs");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.DoesNotContain("runs/trigger", await page.Content.ReadAsStringAsync());
        using var post = await serving.Http.PostAsync(
            "/hangfire/runs/trigger",
            new FormUrlEncodedContent([new("date", Date)])
        );
        Assert.NotEqual(HttpStatusCode.NoContent, post.StatusCode);
        Assert.False(post.IsSuccessStatusCode);
        Assert.False(Directory.Exists(Path.Combine(config.WorkDir, "runs")));
    }

    [Fact]
    public async Task Dashboard_TriggerAndRerunFromStageRun_AndTheRunsPageShowsThemInHeadlessChromium()
    {
        using var world = new PgWorld();
        await TinyDataset.WriteAsync(world.Dir.Sub("input"));
        var config = world.Config(""", "jobs": { "scoreShards": 2 }""");
        var port = Postgres.FreePort();
        await using var serving = new Serving(config, $"http://127.0.0.1:{port}", port);
        using (var up = await serving.GetWhenUpAsync("/hangfire"))
            Assert.Equal(HttpStatusCode.OK, up.StatusCode);
        var storage = HangfireSetup.CreateStorage(config);
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));

        async Task<(RunFolder Folder, RunOutcome Outcome)> PostAndWaitAsync(params KeyValuePair<string, string>[] form)
        {
            var before = RunLauncher.Runs(config).Select(f => f.Path).ToHashSet();
            using var response = await serving.Http.PostAsync(
                "/hangfire/runs/trigger",
                new FormUrlEncodedContent(form)
            );
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode); // Hangfire's answer to a command that succeeded
            var folder = Assert.Single(RunLauncher.Runs(config), f => !before.Contains(f.Path));
            return (folder, await RunWaiter.WaitAsync(storage, folder, TimeSpan.FromMilliseconds(200), cts.Token));
        }

        var (first, firstOutcome) = await PostAndWaitAsync(new KeyValuePair<string, string>("date", Date));
        Assert.True(firstOutcome.Succeeded, firstOutcome.Error);
        Assert.Equal("dashboard", first.ReadContext().Trigger);
        var (second, secondOutcome) = await PostAndWaitAsync(
            new KeyValuePair<string, string>("date", Date),
            new KeyValuePair<string, string>("fromStage", "score")
        );
        Assert.True(secondOutcome.Succeeded, secondOutcome.Error);
        var secondContext = second.ReadContext();
        Assert.Equal(firstOutcome.RunId, secondContext.ReusedRun);
        Assert.DoesNotContain("ingest", secondContext.JobIds.Keys); // the earlier stages were not run again
        Assert.DoesNotContain("train", secondContext.JobIds.Keys);
        var published = Publisher(config);
        Assert.EndsWith(secondOutcome.RunId, published); // the rerun's output replaced the first

        // the Runs page, rendered by a real browser: the NDCG chart with its axes, the dates and the values
        var dom = await ChromiumAsync($"{serving.BaseUrl}/hangfire/runs", "--dump-dom");
        Assert.Contains($"data-run=\"{firstOutcome.RunId}\"", dom);
        Assert.Contains($"data-run=\"{secondOutcome.RunId}\"", dom);
        Assert.Equal(2, Regex.Matches(dom, "<tr class=\"run\"").Count);
        Assert.Contains("id=\"ndcg-svg\"", dom);
        Assert.Equal(2, Regex.Matches(dom, "<circle class=\"ndcg-point\"").Count);
        Assert.Contains("<polyline class=\"ndcg-line\"", dom);
        Assert.Equal(2, Regex.Matches(dom, "data-state=\"published\"").Count);
        Assert.Contains("class=\"x-axis\"", dom);
        Assert.True(Regex.Matches(dom, "class=\"y-tick\"").Count >= 2);
        Assert.Contains($">{Date}</text>", dom); // the x axis names the runs' date
        var test = Champion(first);
        Assert.Contains($">{test.ToString("F4", System.Globalization.CultureInfo.InvariantCulture)}</text>", dom); // value label
        Assert.Contains($"href=\"/hangfire/runs/{firstOutcome.RunId}\"", dom);

        // the first run's page
        var url = $"{serving.BaseUrl}/hangfire/runs/{firstOutcome.RunId}";
        var page = await ChromiumAsync(url, "--dump-dom");
        Assert.Contains($"<h1 class=\"page-header\">Run {firstOutcome.RunId}</h1>", page);
        Assert.Contains("data-state=\"published\"", page);
        // timeline: ingest, train, evaluate, two scoring shards, the similar-items job and publish
        Assert.Equal(7, Regex.Matches(page, "<rect class=\"stage-bar\"").Count);
        foreach (
            var stage in new[]
            {
                "ingest",
                "train",
                "evaluate",
                "score shard 0",
                "score shard 1",
                "similar-items",
                "publish",
            }
        )
            Assert.Contains($"data-stage=\"{stage}\"", page);
        // the training curve: one loss point per epoch, one validation point per evaluated epoch
        var curves = BatchRec.Jobs.Stages.TrainingCurves.Read(first)!;
        var epochs = Assert.Single(curves.Models).Epochs;
        Assert.Equal(epochs.Count, Regex.Matches(page, "<circle class=\"loss-point\"").Count);
        Assert.Equal(
            epochs.Count(e => e.Valid is not null),
            Regex.Matches(page, "<circle class=\"valid-point\"").Count
        );
        Assert.Matches("class=\"x-title\"[^>]*>epoch</text>", page);
        // every model's metrics: the published model on valid and test
        Assert.Contains("<tr class=\"candidate\" data-model=\"lightgcn\" data-split=\"valid\">", page);
        Assert.Contains("<tr class=\"candidate\" data-model=\"lightgcn\" data-split=\"test\">", page);
        Assert.Contains($"<td>{test.ToString("F4", System.Globalization.CultureInfo.InvariantCulture)}</td>", page);
        // ingest counts
        var lineage = BatchRec.Jobs.Ingest.IngestLineage.TryRead(first)!;
        Assert.Contains(
            $"<th>rows read</th><td>{lineage.Read.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)}</td>",
            page
        );
        // the published partitions: the first run's recommendations were replaced by the rerun's
        foreach (var table in new[] { "recommendations", "similar_items", "metrics", "quarantine" })
            Assert.Contains($"<tr class=\"partition\" data-table=\"{table}\">", page);
        Assert.Contains("no (replaced)", page);
        // three users' lists with titles and the history item each is explained by
        Assert.Equal(3, Regex.Matches(page, "<div class=\"preview\"").Count);
        Assert.Matches("<td class=\"item\">Item \\d+ <small>\\(\\d+\\)</small>", page);
        Assert.Matches("because you watched Item \\d+", page);

        // a screenshot of the page, kept as the test's artefact
        var shot = Path.Combine(ArtefactDir(), "run-page.png");
        File.Delete(shot);
        await ChromiumAsync(url, $"--screenshot={shot}", "--window-size=1280,2600", "--hide-scrollbars");
        Assert.True(new FileInfo(shot).Length > 10_000, $"no screenshot at {shot}");
        var header = new byte[8];
        using (var f = File.OpenRead(shot))
            f.ReadExactly(header);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, header);

        // the rerun's page draws only the stages it ran, and names the run it reused the others from
        var rerun = await ChromiumAsync($"{serving.BaseUrl}/hangfire/runs/{secondOutcome.RunId}", "--dump-dom");
        Assert.Contains($"ingest, train, evaluate: reused from run {firstOutcome.RunId}", rerun);
        Assert.Equal(4, Regex.Matches(rerun, "<rect class=\"stage-bar\"").Count); // two shards, similar items, publish
        Assert.DoesNotContain("data-stage=\"train\"", rerun);

        // an unknown run is a 404 page, not an error
        using var missing = await serving.Http.GetAsync("/hangfire/runs/tiny-2026-11-28-20260101T000000Z-abcdef");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    /// <summary>The run's test NDCG@10 as its metrics record it.</summary>
    private static double Champion(RunFolder folder) =>
        BatchRec.Core.Champion.figure("test", BatchRec.Jobs.Stages.EvaluateJob.ReadMetrics(folder))!.Value;

    /// <summary>Where tests leave files for people to look at: $BATCHREC_TEST_ARTEFACTS, else tests/artefacts in the checkout.</summary>
    private static string ArtefactDir()
    {
        var dir = Environment.GetEnvironmentVariable("BATCHREC_TEST_ARTEFACTS");
        if (string.IsNullOrEmpty(dir))
        {
            var root = new DirectoryInfo(AppContext.BaseDirectory);
            while (root is not null && !File.Exists(Path.Combine(root.FullName, "BatchRec.sln")))
                root = root.Parent;
            dir = Path.Combine(root?.FullName ?? Path.GetTempPath(), "tests", "artefacts");
        }
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static string Publisher(LoadedConfig config) =>
        BatchRec.Jobs.Publishing.Publisher.CurrentVersion(Path.Combine(config.OutputDir, "recommendations"), Date)
        ?? throw new InvalidOperationException("nothing published");

    /// <summary>Headless Chromium on <paramref name="url"/> with <paramref name="args"/> (--dump-dom: returns the DOM after
    /// scripts ran; --screenshot=PATH: writes a PNG).</summary>
    private static async Task<string> ChromiumAsync(string url, params string[] args)
    {
        var exe = new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException(
                "The Runs page test needs Chromium: apt-get install -y chromium (`bash tests/run.sh` installs it)."
            );
        using var profile = new TempDir();
        var psi = new ProcessStartInfo(
            exe,
            [
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                $"--user-data-dir={profile.Path}",
                "--virtual-time-budget=5000",
                .. args,
                url,
            ]
        )
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(cts.Token);
        var dom = await stdout;
        Assert.True(
            p.ExitCode == 0 && (dom.Length > 0 || !args.Contains("--dump-dom")),
            $"chromium exited {p.ExitCode}: {await stderr}"
        );
        return dom;
    }
}
