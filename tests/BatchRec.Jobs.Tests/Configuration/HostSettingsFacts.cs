using BatchRec.Jobs.Configuration;
using Xunit;

namespace BatchRec.Jobs.Tests.Configuration;

/// <summary>The host's settings (schedule, storage, jobs, dashboard), bound from the config file in C#.</summary>
public sealed class HostSettingsFacts : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static HostSettings Bind(string json, out List<string> problems)
    {
        problems = [];
        return HostSettings.Bind(json, problems);
    }

    [Fact]
    public void TheDefaults_AreTheClassesInitialValues()
    {
        var s = Bind("""{ "train": { "seed": 1 } }""", out var problems);
        Assert.Empty(problems);
        Assert.Equal(("0 2 * * *", "UTC"), (s.Schedule.Cron, s.Schedule.TimeZone));
        Assert.Equal(
            ("memory", "BATCHREC_PG", "batchrec", 300, 1000),
            (
                s.Storage.Kind,
                s.Storage.ConnectionStringEnv,
                s.Storage.Schema,
                s.Storage.InvisibilityTimeoutSeconds,
                s.Storage.QueuePollMs
            )
        );
        Assert.Equal(
            (2, 0, 4, 2, 0),
            (s.Jobs.Workers, s.Jobs.Retries, s.Jobs.ScoreShards, s.Jobs.BackfillConcurrency, s.Jobs.TestShardDelayMs)
        );
        Assert.Equal(["default"], s.Jobs.Queues);
        Assert.Equal((0, 30, "default"), s.StagePolicy("train"));
        Assert.Equal(
            (false, "", "BATCHREC_DASHBOARD_PASSWORD"),
            (s.Dashboard.ReadOnly, s.Dashboard.Username, s.Dashboard.PasswordEnv)
        );
    }

    [Theory]
    [InlineData(null, "/metrics")]
    [InlineData("\"\"", "")]
    [InlineData("\"/ops/metrics\"", "/ops/metrics")]
    public void TheMetricsPath_DefaultsToMetrics_AndMayBeMovedOrTurnedOff(string? value, string expected)
    {
        var s = Bind(value is null ? "{}" : $$"""{ "dashboard": { "metricsPath": {{value}} } }""", out var problems);
        Assert.Empty(problems);
        Assert.Equal(expected, s.Dashboard.MetricsPath);
    }

    [Theory]
    [InlineData("metrics")]
    [InlineData("/")]
    [InlineData("/hangfire/metrics")]
    [InlineData("/met rics")]
    public void AMetricsPath_NotAPathOfItsOwn_IsRefused(string value)
    {
        Bind($$"""{ "dashboard": { "metricsPath": "{{value}}" } }""", out var problems);
        var problem = Assert.Single(problems);
        Assert.StartsWith("dashboard.metricsPath: must be", problem);
        Assert.Contains($"got '{value}'", problem);
    }

    [Fact]
    public void TheFilesKeys_AreBound_QueuesReplacingTheDefault_AndStagesTakingJobsRetries()
    {
        var s = Bind(
            """
            // comments and trailing commas, as the core's reader allows
            { "jobs": { "retries": 2, "queues": ["gpu", "default"], "scoreShards": 6, "backfillConcurrency": 3,
                        "stages": { "train": { "retries": 1, "backoffSeconds": 5, "queue": "gpu" } }, },
              "storage": { "kind": "postgresql", "connectionStringFile": "/etc/batchrec/pg", "invisibilityTimeoutSeconds": 60, "queuePollMs": 200 },
              "dashboard": { "readOnly": true, "username": "ops" },
              "schedule": { "cron": "30 1 * * *", "timeZone": "Europe/Paris" } }
            """,
            out var problems
        );
        Assert.Empty(problems);
        Assert.Equal(["gpu", "default"], s.Jobs.Queues);
        Assert.Equal((1, 5, "gpu"), s.StagePolicy("train"));
        Assert.Equal((2, 30, "default"), s.StagePolicy("score")); // jobs.retries is every stage's default
        Assert.Equal((6, 3), (s.Jobs.ScoreShards, s.Jobs.BackfillConcurrency));
        Assert.Equal(
            ("postgresql", "/etc/batchrec/pg", 60, 200),
            (
                s.Storage.Kind,
                s.Storage.ConnectionStringFile,
                s.Storage.InvisibilityTimeoutSeconds,
                s.Storage.QueuePollMs
            )
        );
        Assert.Equal((true, "ops"), (s.Dashboard.ReadOnly, s.Dashboard.Username));
        Assert.Equal(("30 1 * * *", "Europe/Paris"), (s.Schedule.Cron, s.Schedule.TimeZone));
    }

    [Fact]
    public void UnknownNamesAndWrongTypes_AreEachNamed_WithTheNearestValidName()
    {
        Bind(
            """
            { "jobs": { "worker": 3, "scoreShards": "many", "stages": { "trian": {}, "score": { "retries": 1.5 } } },
              "dashboard": { "readOnly": "yes" }, "storage": { "queuePoll": 5 }, "schedule": 7 }
            """,
            out var problems
        );
        var text = string.Join("\n", problems);
        Assert.Contains(
            "jobs.worker: unknown key (did you mean 'workers'? known: workers, retries, queues, stages",
            text
        );
        Assert.Contains("jobs.scoreShards: must be an integer, got 'many'", text);
        Assert.Contains(
            "jobs.stages.trian: unknown key (did you mean 'train'? known: ingest, train, evaluate, score, publish)",
            text
        );
        Assert.Contains("jobs.stages.score.retries: must be an integer, got '1.5'", text);
        Assert.Contains("dashboard.readOnly: must be true or false, got 'yes'", text);
        Assert.Contains("storage.queuePoll: unknown key (did you mean 'queuePollMs'?", text);
        Assert.Contains("schedule: must be an object, got '7'", text);
        Assert.Equal(7, problems.Count);
    }

    [Fact]
    public void AHostSectionNamedTwice_IsAProblem_WhileTheCoresSectionsAreNotThisReadersConcern()
    {
        Bind(
            """{ "jobs": { "workers": 1 }, "train": { "seed": 1 }, "train": { "seed": 2 }, "jobs": { "workers": 3 } }""",
            out var problems
        );
        Assert.Equal(["jobs: named twice in the file; name each section once"], problems);
        Bind("""{ "jobs": { "workers": 1, "workers": 3 } }""", out problems);
        Assert.Contains("(file): ", Assert.Single(problems));
    }

    [Fact]
    public void RangesAreChecked_AllAtOnce()
    {
        Bind(
            """
            { "jobs": { "queues": ["GPU"], "scoreShards": 0, "stages": { "score": { "retries": -1, "queue": "" } } },
              "storage": { "kind": "postgres", "invisibilityTimeoutSeconds": 1, "schema": "a;b" },
              "schedule": { "cron": "* *" } }
            """,
            out var problems
        );
        var text = string.Join("\n", problems);
        Assert.Contains(
            "jobs.queues: must be a non-empty list of lower-case names (a-z, 0-9, '_', '-'), got [GPU]",
            text
        );
        Assert.Contains("jobs.scoreShards: must be > 0, got 0", text);
        Assert.Contains("jobs.stages.score.retries: must be >= 0, got -1", text);
        Assert.Contains("jobs.stages.score.queue: must be a lower-case name", text);
        Assert.Contains(
            "storage.kind: must be memory or postgresql, got 'postgres' (did you mean 'postgresql'?)",
            text
        );
        Assert.Contains("storage.invisibilityTimeoutSeconds: must be >= 5, got 1", text);
        Assert.Contains("storage.schema: must be letters, digits or '_', got 'a;b'", text);
        Assert.Contains("schedule.cron: must have 5 or 6 fields, got '* *'", text);
        Assert.Equal(8, problems.Count);
    }

    [Fact]
    public void Load_ReportsTheHostsAndTheCoresProblemsTogether_AndOverridesReachTheHostSettings()
    {
        var path = _dir.Sub("config.json");
        File.WriteAllText(
            path,
            """{ "dataset": { "input": "in" }, "jobs": { "workers": 0 }, "train": { "batchSize": 0 }, "storge": {} }"""
        );
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(path, environment: []));
        Assert.Contains("jobs.workers: must be > 0, got 0", e.Message);
        Assert.Contains("train.batchSize: must be > 0, got 0", e.Message);
        Assert.Contains("storge: unknown key (did you mean 'storage'?", e.Message);

        File.WriteAllText(path, """{ "dataset": { "input": "in" }, "jobs": { "workers": 1 } }""");
        var loaded = ConfigLoader.Load(
            path,
            ["jobs.stages.train.queue=gpu", "JOBS.QUEUES=[\"gpu\"]"],
            [new ConfigOverride("BATCHREC__JOBS__WORKERS", "jobs.workers", "5")]
        );
        Assert.Equal(5, loaded.Host.Jobs.Workers);
        Assert.Equal(["gpu"], loaded.Host.Jobs.Queues);
        Assert.Equal("gpu", loaded.Host.StagePolicy("train").Queue);
        // the run folder's copy holds the effective config: read back, the same settings
        var again = ConfigLoader.FromJson(loaded.Json, path).Host;
        Assert.Equal((5, "gpu"), (again.Jobs.Workers, again.StagePolicy("train").Queue));
    }
}
