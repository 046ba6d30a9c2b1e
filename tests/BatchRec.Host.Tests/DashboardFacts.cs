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

        // the Runs page, rendered by a real browser (the chart is drawn by the page's script)
        var dom = await ChromiumDumpDomAsync($"{serving.BaseUrl}/hangfire/runs");
        Assert.Contains($"data-run=\"{firstOutcome.RunId}\"", dom);
        Assert.Contains($"data-run=\"{secondOutcome.RunId}\"", dom);
        Assert.Equal(2, Regex.Matches(dom, "<tr class=\"run\"").Count);
        Assert.Contains("id=\"ndcg-svg\"", dom);
        Assert.Equal(2, Regex.Matches(dom, "<circle class=\"ndcg-point\"").Count);
        Assert.Contains("<polyline class=\"ndcg-line\"", dom);
        Assert.Equal(2, Regex.Matches(dom, "data-state=\"published\"").Count);
    }

    private static string Publisher(LoadedConfig config) =>
        BatchRec.Jobs.Publishing.Publisher.CurrentVersion(Path.Combine(config.OutputDir, "recommendations"), Date)
        ?? throw new InvalidOperationException("nothing published");

    private static async Task<string> ChromiumDumpDomAsync(string url)
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
                "--dump-dom",
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
        Assert.True(p.ExitCode == 0 && dom.Length > 0, $"chromium exited {p.ExitCode}: {await stderr}");
        return dom;
    }
}
