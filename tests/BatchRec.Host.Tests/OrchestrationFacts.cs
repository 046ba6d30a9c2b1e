using System.Net;
using BatchRec.Host;
using BatchRec.Jobs.Configuration;
using BatchRec.Jobs.Orchestration;
using BatchRec.Jobs.Publishing;
using BatchRec.Jobs.Runs;
using BatchRec.Jobs.Stages;
using Hangfire;
using Xunit;

namespace BatchRec.Host.Tests;

[Collection("hangfire")]
public class OrchestrationFacts
{
    private const string Date = "2026-11-28";

    [Fact]
    public void UseBatchRecFilters_LeavesOneRetryAndOneStageFilter_WhenCalledFromManyThreadsAtOnce()
    {
        // several clients set up at once (PostgresFacts' concurrent triggers) once made this throw "Collection was modified"
        Parallel.For(0, 400, new ParallelOptions { MaxDegreeOfParallelism = 8 }, _ =>
            HangfireSetup.UseBatchRecFilters()
        );

        Assert.Single(GlobalJobFilters.Filters, f => f.Instance is AutomaticRetryAttribute);
        Assert.Single(GlobalJobFilters.Filters, f => f.Instance is StagePolicyFilter);
    }

    [Fact]
    public async Task Evaluate_RejectsAWorseModel_KeepingThePreviousRecommendations_AndRecordsBothFigures()
    {
        using var dir = new TempDir();
        await TinyDataset.WriteAsync(dir.Sub("input"));
        var good = TinyDataset.Config(dir, "input");
        var first = await RunOnce.ExecuteAsync(good, Date, CancellationToken.None);
        Assert.True(first.Succeeded, first.Error);
        Assert.Equal("published", first.State);
        var champion = Json.Read<ChampionRecord>(Path.Combine(good.WorkDir, "champion.json"));
        Assert.Equal(first.RunId, champion.RunId);

        // one epoch at a tiny learning rate: close to the random initialisation, clearly worse than the champion
        var bad = TinyDataset.Config(
            dir,
            "input",
            """, "train": { "maxEpochs": 1, "learningRate": 1e-6, "evalEvery": 1, "device": "cpu" }, "publish": { "tolerance": 0.01 }"""
        );
        var second = await RunOnce.ExecuteAsync(bad, Date, CancellationToken.None);

        Assert.True(second.Succeeded, second.Error);
        Assert.Equal("rejected", second.State);
        var outcome = Json.Read<RunOutcomeRecord>(
            new RunFolder(Path.Combine(bad.WorkDir, "runs", second.RunId)).OutcomeJson
        );
        Assert.Equal("rejected", outcome.State);
        Assert.NotNull(outcome.ChampionNdcg10);
        Assert.True(
            outcome.ChallengerNdcg10 < outcome.ChampionNdcg10 - 0.01,
            $"{outcome.ChallengerNdcg10} vs {outcome.ChampionNdcg10}"
        );
        Assert.Equal(first.RunId, outcome.ChampionRun);
        // the previous recommendations stay published, the champion is unchanged, no manifest for the rejected run
        Assert.EndsWith(first.RunId, Publisher.CurrentVersion(Path.Combine(good.OutputDir, "recommendations"), Date));
        Assert.Equal(first.RunId, Json.Read<ChampionRecord>(Path.Combine(good.WorkDir, "champion.json")).RunId);
        Assert.False(File.Exists(Path.Combine(good.OutputDir, "manifests", "dt=" + Date, second.RunId + ".json")));

        // the same good config again is not worse than its champion: published
        var third = await RunOnce.ExecuteAsync(TinyDataset.Config(dir, "input"), Date, CancellationToken.None);
        Assert.Equal("published", third.State);
        Assert.EndsWith(third.RunId, Publisher.CurrentVersion(Path.Combine(good.OutputDir, "recommendations"), Date));
    }

    [Fact]
    public async Task AFailedStage_IsRetriedByItsOwnPolicy_AndAStageGoesToItsConfiguredQueue()
    {
        using var world = new PgWorld();
        // ingest fails (no input yet), is rescheduled after its back-off, then finds the input; train runs on "gpu"
        var config = world.Config(
            """
            , "jobs": { "workers": 2, "retries": 0, "queues": ["gpu", "default"], "scoreShards": 2,
                        "stages": { "ingest": { "retries": 2, "backoffSeconds": 3 }, "train": { "queue": "gpu" } } }
            """
        );
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var running = RunOnce.ExecuteAsync(config, Date, cts.Token);
        var storage = HangfireSetup.CreateStorage(config);
        RunFolder? folder = null;
        while (true)
        {
            cts.Token.ThrowIfCancellationRequested();
            folder ??= RunLauncher.Runs(config).FirstOrDefault();
            if (folder?.ReadContext().JobIds.GetValueOrDefault("ingest") is { } id)
            {
                using var c = storage.GetConnection();
                if (c.GetStateData(id)?.Name == "Scheduled")
                    break;
            }
            Assert.False(running.IsCompleted, "the run ended before ingest was retried");
            await Task.Delay(100, cts.Token);
        }
        await TinyDataset.WriteAsync(world.Dir.Sub("input"));
        var outcome = await running;

        Assert.True(outcome.Succeeded, outcome.Error);
        var monitor = storage.GetMonitoringApi();
        var ingest = monitor.JobDetails(folder.ReadContext().JobIds["ingest"]);
        Assert.Contains(ingest.History, h =>
            h.StateName == "Scheduled" && h.Reason.StartsWith("Retry attempt 1 of 2", StringComparison.Ordinal)
        );
        var train = monitor.JobDetails(folder.ReadContext().JobIds["train"]);
        Assert.Contains(train.History, h => h.StateName == "Enqueued" && h.Data["Queue"] == "gpu");
        var score = monitor.JobDetails(folder.ReadContext().JobIds["score/0"]);
        Assert.Contains(score.History, h => h.StateName == "Enqueued" && h.Data["Queue"] == "default");
    }

    [Fact]
    public void CreateStorage_NamesHostPortAndDatabase_ButNotThePassword_WhenPostgreSqlIsUnreachable()
    {
        using var dir = new TempDir();
        var port = Postgres.FreePort(); // nothing listens there
        Environment.SetEnvironmentVariable(
            "BATCHREC_TEST_PG_DOWN",
            $"Host=127.0.0.1;Port={port};Database=nightly;Username=batchrec;Password=hunter2;Timeout=3"
        );
        var config = TinyDataset.Config(
            dir,
            "input",
            """, "storage": { "kind": "postgresql", "connectionStringEnv": "BATCHREC_TEST_PG_DOWN" }"""
        );
        var ex = Assert.Throws<StorageUnavailableException>(() => HangfireSetup.CreateStorage(config));
        Assert.Contains("host '127.0.0.1'", ex.Message);
        Assert.Contains($"port {port}", ex.Message);
        Assert.Contains("database 'nightly'", ex.Message);
        Assert.DoesNotContain("hunter2", ex.ToString());
    }

    [Fact]
    public void CreateStorage_SaysWhichVariableToSet_WhenNoConnectionStringIsGiven()
    {
        using var dir = new TempDir();
        var config = TinyDataset.Config(
            dir,
            "input",
            """, "storage": { "kind": "postgresql", "connectionStringEnv": "BATCHREC_TEST_PG_UNSET_VAR" }"""
        );
        var ex = Assert.Throws<ConfigException>(() => HangfireSetup.CreateStorage(config));
        Assert.Contains("BATCHREC_TEST_PG_UNSET_VAR", ex.Message);
    }

    [Fact]
    public void ConnectionString_IsReadFromTheConfiguredFile_WhenTheVariableIsUnset()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.Sub("pg.secret"), Postgres.ConnectionString + "\n");
        var config = TinyDataset.Config(
            dir,
            "input",
            """, "storage": { "kind": "postgresql", "connectionStringEnv": "BATCHREC_TEST_PG_UNSET_VAR", "connectionStringFile": "pg.secret" }"""
        );
        Assert.Equal(Postgres.ConnectionString, HangfireSetup.ConnectionString(config));
        HangfireSetup.CheckReachable(HangfireSetup.ConnectionString(config), "batchrec"); // and it works
    }

    [Fact]
    public async Task Backfill_FromTheDashboard_StartsOneRunPerDate_WithBoundedConcurrency()
    {
        using var dir = new TempDir();
        await TinyDataset.WriteAsync(dir.Sub("input"));
        var config = TinyDataset.Config(
            dir,
            "input",
            """, "train": { "maxEpochs": 2, "evalEvery": 1, "device": "cpu" }, "jobs": { "workers": 4, "backfillConcurrency": 2, "scoreShards": 2 }"""
        );
        var port = Postgres.FreePort();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var serving = Serve.RunAsync(config, $"http://127.0.0.1:{port}", cts.Token);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        HttpResponseMessage? response = null;
        for (var attempt = 0; response is null; attempt++)
        {
            try
            {
                response = await http.PostAsync(
                    "/hangfire/runs/backfill",
                    new FormUrlEncodedContent([new("from", "2026-11-01"), new("to", "2026-11-03")]),
                    cts.Token
                );
            }
            catch (HttpRequestException) when (attempt < 150)
            {
                await Task.Delay(200, cts.Token);
            }
        }
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        string[] dates = ["2026-11-01", "2026-11-02", "2026-11-03"];
        while (!dates.All(d => File.Exists(Path.Combine(config.OutputDir, "recommendations", "dt=" + d, "_SUCCESS"))))
        {
            if (serving.IsCompleted)
                await serving; // the host stopped early: its exception, not a timeout
            // the three runs train the same data with the same seed, so none may be rejected against another's
            // champion; a rejected run never publishes, so say so now instead of waiting out the timeout
            foreach (var run in RunLauncher.Runs(config).Where(f => File.Exists(f.OutcomeJson)))
                Assert.DoesNotContain("\"rejected\"", File.ReadAllText(run.OutcomeJson));
            await Task.Delay(200, cts.Token);
        }
        var runs = RunLauncher.Runs(config).Select(f => f.ReadContext()).ToList();
        Assert.Equal(dates, runs.Select(r => r.Date).Order());
        Assert.All(runs, r => Assert.Equal("backfill", r.Trigger));
        // never more than two in flight: the third started only after one of the first two had ended
        var third = runs.Single(r => r.Date == "2026-11-03");
        var ended = runs.Where(r => r.Date != "2026-11-03")
            .Select(r =>
                File.GetLastWriteTimeUtc(new RunFolder(Path.Combine(config.WorkDir, "runs", r.RunId)).OutcomeJson)
            )
            .Min();
        Assert.True(
            third.CreatedUtc.UtcDateTime >= ended,
            $"third run created {third.CreatedUtc:O}, first end {ended:O}"
        );
        await cts.CancelAsync();
        await serving;
    }
}

public class ShippedConfigFacts
{
    [Fact]
    public void EveryConfigInTheRepository_ParsesAndValidates()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "BatchRec.sln")))
            root = root.Parent;
        Assert.NotNull(root);
        var files = Directory.GetFiles(Path.Combine(root.FullName, "configs"), "*.json");
        Assert.Contains(files, f => f.EndsWith("production.json", StringComparison.Ordinal));
        foreach (var f in files)
            ConfigLoader.Load(f); // throws with every problem named
        var gpu = ConfigLoader
            .Load(files.Single(f => f.EndsWith("production-gpu.json", StringComparison.Ordinal)))
            .Host;
        Assert.Equal(["gpu", "default"], gpu.Jobs.Queues);
        Assert.Equal("gpu", gpu.StagePolicy("train").Queue);
    }

    [Fact]
    public void ScoreShardRanges_PartitionTheUsers()
    {
        foreach (var (users, shards) in new[] { (30, 4), (30, 6), (3, 5), (0, 2), (610, 8) })
        {
            var ranges = Enumerable.Range(0, shards).Select(s => ScoreShardJob.Range(users, s, shards)).ToList();
            Assert.Equal(Enumerable.Range(0, users), ranges.SelectMany(r => Enumerable.Range(r.Start, r.Count)));
        }
    }
}

[Collection("hangfire")]
public class SignalFacts
{
    [Fact]
    public async Task Run_StopsOnSigterm_CancellingTheStageInsteadOfWaitingForIt()
    {
        using var dir = new TempDir();
        await TinyDataset.WriteAsync(dir.Sub("input"));
        // a training budget far beyond the test: only cancellation can end it
        var config = TinyDataset.Config(
            dir,
            "input",
            """, "train": { "maxEpochs": 1000000, "evalEvery": 1000, "patience": 1000, "device": "cpu" }"""
        );
        var psi = new System.Diagnostics.ProcessStartInfo(
            "dotnet",
            [
                Path.Combine(AppContext.BaseDirectory, "batchrec.dll"),
                "run",
                "--config",
                config.FilePath,
                "--date",
                "2026-11-28",
            ]
        )
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var p = System.Diagnostics.Process.Start(psi)!;
        var output = new System.Text.StringBuilder();
        p.OutputDataReceived += (_, e) =>
        {
            lock (output)
                output.AppendLine(e.Data);
        };
        p.ErrorDataReceived += (_, e) =>
        {
            lock (output)
                output.AppendLine(e.Data);
        };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            while (!output.ToString().Contains("Stage train of run", StringComparison.Ordinal)) // training has started
            {
                Assert.False(p.HasExited, output.ToString());
                await Task.Delay(100, cts.Token);
            }
            await Task.Delay(1000, cts.Token);
            using (
                var kill = System.Diagnostics.Process.Start(
                    "kill",
                    ["-TERM", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]
                )!
            )
                await kill.WaitForExitAsync(cts.Token);
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await p.WaitForExitAsync(deadline.Token);
            Assert.Equal(130, p.ExitCode);
            Assert.False(Directory.Exists(Path.Combine(config.OutputDir, "recommendations")));
        }
        finally
        {
            if (!p.HasExited)
                p.Kill(entireProcessTree: true);
        }
    }
}
