using System.Diagnostics;
using BatchRec.Jobs.Configuration;
using BatchRec.Jobs.Orchestration;
using BatchRec.Jobs.Runs;
using Hangfire;
using Serilog;
using Xunit;
using Xunit.Abstractions;

namespace BatchRec.Host.Tests;

/// <summary>A `batchrec serve` process (the built host) on the shared database; killed at dispose if still alive.</summary>
public sealed class HostProcess : IDisposable
{
    private readonly Process _process;
    public string LogPath { get; }
    public int Pid => _process.Id;
    public string Worker => $"{Environment.MachineName}-{_process.Id}";

    public HostProcess(LoadedConfig config, string logPath)
    {
        LogPath = logPath;
        var psi = new ProcessStartInfo(
            "dotnet",
            [
                Path.Combine(AppContext.BaseDirectory, "batchrec.dll"),
                "serve",
                "--config",
                config.FilePath,
                "--urls",
                $"http://127.0.0.1:{Postgres.FreePort()}",
            ]
        )
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        psi.Environment[PgWorld.EnvVar] = Postgres.ConnectionString;
        _process = Process.Start(psi)!;
        var log = new StreamWriter(logPath) { AutoFlush = true };
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
                lock (log)
                    log.WriteLine(e.Data);
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
                lock (log)
                    log.WriteLine(e.Data);
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public bool HasExited => _process.HasExited;

    /// <summary>SIGKILL: the process gets no chance to finish or hand back its job.</summary>
    public void KillHard()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
            KillHard();
        _process.Dispose();
    }
}

[Collection("hangfire")]
public class PostgresFacts(ITestOutputHelper output)
{
    private const string Date = "2026-11-28";

    private static (JobStorage Storage, RunLauncher Launcher) Client(LoadedConfig config)
    {
        HangfireSetup.UseBatchRecFilters();
        var storage = HangfireSetup.CreateStorage(config);
        return (storage, new RunLauncher(new BackgroundJobClient(storage), storage, Log.Logger));
    }

    private static async Task WaitForServersAsync(JobStorage storage, int count, IEnumerable<HostProcess> hosts)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (storage.GetMonitoringApi().Servers().Count < count)
        {
            foreach (var h in hosts)
                if (h.HasExited)
                    throw new InvalidOperationException($"host exited early: {File.ReadAllText(h.LogPath)}");
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{count} Hangfire servers did not register in 90 s");
            await Task.Delay(250);
        }
    }

    private static async Task AssertEveryUserExactlyOnceAsync(LoadedConfig config, string runId)
    {
        var dir = Path.Combine(config.OutputDir, "recommendations", "dt=" + Date);
        Assert.True(File.Exists(Path.Combine(dir, "_SUCCESS")));
        var recs = await Partition.ReadAsync(dir);
        var users = (long[])recs["user_id"];
        var ranks = (int[])recs["rank"];
        Assert.All((string[])recs["run_id"], r => Assert.Equal(runId, r));
        var (iu, _, _, _) = TinyDataset.Interactions();
        Assert.Equal(iu.Distinct().Order(), users.Distinct().Order()); // every user
        Assert.Equal(users.Length, users.Zip(ranks).Distinct().Count()); // no (user, rank) twice: no duplicated shard
        Assert.Equal(TinyDataset.Users * 5, users.Length); // K = 5 each, exactly once
    }

    [Fact]
    public async Task Run_PublishesTheFullChain_OnPostgreSqlStorage()
    {
        using var world = new PgWorld();
        await TinyDataset.WriteAsync(world.Dir.Sub("input"));
        var config = world.Config();

        var outcome = await RunOnce.ExecuteAsync(config, Date, CancellationToken.None);

        Assert.True(outcome.Succeeded, outcome.Error);
        Assert.Equal("published", outcome.State);
        await AssertEveryUserExactlyOnceAsync(config, outcome.RunId);
        var manifest = Json.Read<Manifest>(
            Path.Combine(config.OutputDir, "manifests", "dt=" + Date, outcome.RunId + ".json")
        );
        Assert.Equal(TinyDataset.Users * 5, manifest.Rows["recommendations"]);
        // the jobs really went through the database: the storage holds them as succeeded
        var storage = HangfireSetup.CreateStorage(config);
        Assert.True(storage.GetMonitoringApi().SucceededListCount() >= 8); // ingest, train, evaluate, 4 shards, publish
    }

    [Fact]
    public void Trigger_StartsOneRun_WhenTheSameDatasetAndDateIsTriggeredAgainWhileItRuns()
    {
        using var world = new PgWorld();
        var config = world.Config();
        var (_, launcher) = Client(config); // no server: the first run stays enqueued, i.e. "still going"

        var results = Enumerable
            .Range(0, 4)
            .AsParallel()
            .Select(_ => Client(config).Launcher.Trigger(config, Date, "test"))
            .ToList();
        var again = launcher.Trigger(config, Date, "nightly");

        Assert.Single(results, r => r.Started);
        var runId = results.Single(r => r.Started).RunId;
        Assert.All(results.Where(r => !r.Started).Append(again), r =>
        {
            Assert.Equal(runId, r.RunId);
            Assert.Contains("started no other run", r.Message);
        });
        Assert.Single(RunLauncher.Runs(config), f => f.ReadContext().Date == Date);
        // another date is another run
        Assert.True(launcher.Trigger(config, "2026-11-29", "test").Started);

        // the nightly trigger says what happened in its result (shown on the job's page in the dashboard)
        var today = DateOnly.FromDateTime(DateTime.UtcNow).ToString("yyyy-MM-dd");
        var todays = today == Date ? runId : launcher.Trigger(config, today, "test").RunId; // a run of today is going
        var nightly = new NightlyJob(launcher).Start(config.FilePath);
        Assert.Contains($"run {todays}", nightly);
        Assert.Contains("the nightly trigger started no other run", nightly);
    }

    [Fact]
    public async Task TwoHosts_ShareOneRunsScoringShards_AndPublishEveryUserExactlyOnce()
    {
        using var world = new PgWorld();
        await TinyDataset.WriteAsync(world.Dir.Sub("input"));
        var config = world.Config(""", "jobs": { "workers": 2, "scoreShards": 6, "testShardDelayMs": 1500 }""");
        var (storage, launcher) = Client(config);
        using var a = new HostProcess(config, world.Dir.Sub("host-a.log"));
        using var b = new HostProcess(config, world.Dir.Sub("host-b.log"));
        await WaitForServersAsync(storage, 2, [a, b]);

        var run = launcher.Trigger(config, Date, "test");
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var outcome = await RunWaiter.WaitAsync(storage, run.Folder, TimeSpan.FromMilliseconds(250), cts.Token);

        Assert.True(outcome.Succeeded, outcome.Error + File.ReadAllText(a.LogPath) + File.ReadAllText(b.LogPath));
        await AssertEveryUserExactlyOnceAsync(config, outcome.RunId);
        var workers = Enumerable
            .Range(0, 6)
            .Select(i => run.Folder.ReadShard(i)!.Details["worker"].ToString())
            .ToList();
        output.WriteLine("shard workers: " + string.Join(", ", workers));
        Assert.Contains(a.Worker, workers); // both processes did work
        Assert.Contains(b.Worker, workers);
    }

    [Fact]
    public async Task AHostKilledMidShard_ItsShardIsRetriedByTheOther_AndNothingPartialIsEverVisible()
    {
        using var world = new PgWorld();
        await TinyDataset.WriteAsync(world.Dir.Sub("input"));
        // one worker per host and slow shards, so the victim surely holds a shard while it dies; the 8 s invisibility
        // timeout (PgWorld) is how long the database waits before handing a dead worker's job to another
        var config = world.Config(""", "jobs": { "workers": 1, "scoreShards": 4, "testShardDelayMs": 3000 }""");
        var (storage, launcher) = Client(config);
        using var victim = new HostProcess(config, world.Dir.Sub("victim.log"));
        using var survivor = new HostProcess(config, world.Dir.Sub("survivor.log"));
        await WaitForServersAsync(storage, 2, [victim, survivor]);

        var run = launcher.Trigger(config, Date, "test");
        var partition = Path.Combine(config.OutputDir, "recommendations", "dt=" + Date);
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(4));

        // a reader polling the partition all along: it must never see it without _SUCCESS or with a missing/extra part
        var sawPartial = new List<string>();
        var watching = Task.Run(async () =>
        {
            while (!cts.IsCancellationRequested)
            {
                if (Directory.Exists(partition))
                {
                    var parts = Directory.GetFiles(partition, "*.parquet").Length;
                    if (!File.Exists(Path.Combine(partition, "_SUCCESS")) || parts != 4)
                        sawPartial.Add($"{parts} parts, _SUCCESS {File.Exists(Path.Combine(partition, "_SUCCESS"))}");
                    else
                        return;
                }
                await Task.Delay(20);
            }
        });

        // kill the victim while it is inside a shard
        string? killedShard = null;
        while (killedShard is null)
        {
            cts.Token.ThrowIfCancellationRequested();
            if (Directory.Exists(run.Folder.ShardsDir))
                killedShard = Directory
                    .GetFiles(run.Folder.ShardsDir, $"*.attempt-{victim.Worker}")
                    .Select(Path.GetFileName)
                    .FirstOrDefault()
                    ?[..5];
            if (killedShard is null)
                await Task.Delay(100, cts.Token);
        }
        await Task.Delay(500, cts.Token); // into the shard's work, before its part is renamed into the staging folder
        victim.KillHard();
        var shard = int.Parse(killedShard, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Null(run.Folder.ReadShard(shard)); // the victim did not finish it

        var outcome = await RunWaiter.WaitAsync(storage, run.Folder, TimeSpan.FromMilliseconds(250), cts.Token);
        await cts.CancelAsync();
        await watching;

        Assert.True(outcome.Succeeded, outcome.Error + File.ReadAllText(survivor.LogPath));
        Assert.Equal(survivor.Worker, run.Folder.ReadShard(shard)!.Details["worker"].ToString()); // Hangfire re-queued it to the survivor
        Assert.True(File.Exists(Path.Combine(run.Folder.ShardsDir, $"{killedShard}.attempt-{survivor.Worker}")));
        await AssertEveryUserExactlyOnceAsync(config, outcome.RunId);
        Assert.Empty(sawPartial);
    }

    [Fact]
    public async Task AJobLongerThanTheInvisibilityTimeout_IsNotHandedToAnotherWorker_WhileItsHostLives()
    {
        using var world = new PgWorld();
        await TinyDataset.WriteAsync(world.Dir.Sub("input"));
        // the shard takes 12 s, the invisibility timeout is 5 s: without the sliding timeout a second worker would take it
        var config = world.Config(
            """, "jobs": { "workers": 3, "scoreShards": 1, "testShardDelayMs": 12000 }""",
            invisibilityTimeoutSeconds: 5
        );
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2)); // re-fetched every 5 s, the 12 s shard would never settle
        var outcome = await RunOnce.ExecuteAsync(config, Date, cts.Token);
        Assert.True(outcome.Succeeded, outcome.Error);
        var folder = new RunFolder(Path.Combine(config.WorkDir, "runs", outcome.RunId));
        Assert.Single(Directory.GetFiles(folder.ShardsDir, "00000.attempt-*"));
        await AssertEveryUserExactlyOnceAsync(config, outcome.RunId);
    }
}
