using System.ComponentModel;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using BatchRec.Core;
using BatchRec.Jobs.Stages;
using Microsoft.Extensions.Configuration;

namespace BatchRec.Jobs.Configuration;

/// <summary>
/// The host's settings: when the nightly run starts, where Hangfire keeps its jobs, how this host's workers take them,
/// and who may use the dashboard. They live in the config file's <c>schedule</c>, <c>storage</c>, <c>jobs</c> and
/// <c>dashboard</c> sections (the core reads the others) and are bound here with Microsoft.Extensions.Configuration:
/// the defaults are the classes' initial values, then the file with its overrides (<see cref="ConfigOverrides"/>:
/// environment, then <c>--set</c>) is bound over them. Unknown keys are refused with the nearest valid name; every
/// problem (name, type, range) is reported at once.
/// </summary>
public sealed class HostSettings
{
    /// <summary>The config file's sections these settings read: this class's properties.</summary>
    public static readonly IReadOnlyList<string> Sections = KeysOf(typeof(HostSettings));

    public ScheduleSettings Schedule { get; set; } = new();
    public StorageSettings Storage { get; set; } = new();
    public JobsSettings Jobs { get; set; } = new();
    public DashboardSettings Dashboard { get; set; } = new();

    /// <summary>The effective policy of a stage: its own retries, else <c>jobs.retries</c>.</summary>
    public (int Retries, int BackoffSeconds, string Queue) StagePolicy(string stage)
    {
        var p = Jobs.Stages.GetValueOrDefault(stage) ?? new StagePolicySettings();
        return (p.Retries ?? Jobs.Retries, p.BackoffSeconds, p.Queue);
    }

    /// <summary>
    /// The keys a config file may name below <paramref name="path"/> (a host section, <c>jobs.stages</c>, or one stage
    /// under it), as the file spells them; empty when <paramref name="path"/> takes a value.
    /// </summary>
    public static IReadOnlyList<string> KnownKeys(IReadOnlyList<string> path) =>
        path is ["jobs", "stages"] ? StageNames.Chain
        : SettingsAt(path) is { } type ? KeysOf(type)
        : [];

    /// <summary>The settings class a path names (a section, or one stage's policy); null for a value or a map.</summary>
    private static Type? SettingsAt(IReadOnlyList<string> path) =>
        path switch
        {
            ["jobs", "stages", _] => typeof(StagePolicySettings),
            [var section] => PropertyOf(typeof(HostSettings), section)?.PropertyType,
            _ => null,
        };

    private static PropertyInfo? PropertyOf(Type type, string key) =>
        type.GetProperty(key, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);

    /// <summary>
    /// Binds the host sections of a config JSON (the file with its overrides applied) over the defaults. Every problem
    /// is added to <paramref name="problems"/> as "key: message"; the result is meaningful only when none was added.
    /// </summary>
    public static HostSettings Bind(string json, ICollection<string> problems)
    {
        var before = problems.Count;
        IConfiguration configuration;
        try
        {
            configuration = new ConfigurationBuilder()
                .AddJsonStream(new MemoryStream(HostSections(json, problems)))
                .Build();
        }
        catch (JsonException)
        {
            return new HostSettings(); // the core's parser reports the file's syntax error, with its position
        }
        catch (FormatException e)
        {
            problems.Add($"(file): {e.Message}"); // e.g. a key named twice within a section
            return new HostSettings();
        }
        foreach (var section in Sections)
            Check(configuration.GetSection(section), [section], problems);
        var settings = new HostSettings();
        if (problems.Count == before)
        {
            // the binder adds a list to the one already there: a file's queues replace the default instead
            if (configuration.GetSection("jobs:queues").GetChildren().Any())
                settings.Jobs.Queues = [];
            configuration.Bind(settings); // the document holds the host's sections only
        }
        Validate(settings, problems);
        return settings;
    }

    /// <summary>
    /// The host's sections of a config JSON as a JSON document of their own, for the JSON provider: the core's sections
    /// are not this reader's (the provider would refuse a key the file names twice there). A host section named twice is
    /// a problem.
    /// </summary>
    private static byte[] HostSections(string json, ICollection<string> problems)
    {
        using var doc = JsonDocument.Parse(
            json,
            new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }
        );
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            if (doc.RootElement.ValueKind == JsonValueKind.Object)
                foreach (var p in doc.RootElement.EnumerateObject())
                    if (Sections.Contains(p.Name, StringComparer.OrdinalIgnoreCase))
                    {
                        if (!seen.Add(p.Name))
                            problems.Add($"{p.Name}: named twice in the file; name each section once");
                        else
                            p.WriteTo(writer);
                    }
            writer.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary>Names and types of a section's keys, checked before binding (the binder would stop at the first).</summary>
    private static void Check(IConfigurationSection node, List<string> path, ICollection<string> problems)
    {
        var known = KnownKeys(path);
        if (node.Value is not null && !node.GetChildren().Any())
        {
            problems.Add($"{string.Join('.', path)}: must be an object, got '{node.Value}'");
            return;
        }
        foreach (var child in node.GetChildren())
        {
            var name = known.FirstOrDefault(k => string.Equals(k, child.Key, StringComparison.OrdinalIgnoreCase));
            var key = string.Join('.', path.Append(child.Key));
            if (name is null)
            {
                var nearest = ConfigBinding.nearestName(known, child.Key);
                problems.Add(
                    $"{key}: unknown key ("
                        + (nearest is null ? "" : $"did you mean '{nearest.Value}'? ")
                        + $"known: {string.Join(", ", known)})"
                );
                continue;
            }
            // jobs.stages and each stage under it hold keys of their own
            if (path is ["jobs"] && name == "stages" || path is ["jobs", "stages"])
                Check(child, [.. path, name], problems);
            else
                CheckValue(child, key, PropertyOf(SettingsAt(path)!, name)!.PropertyType, problems);
        }
    }

    private static void CheckValue(IConfigurationSection node, string key, Type type, ICollection<string> problems)
    {
        if (type == typeof(List<string>))
        {
            if (node.Value is not null)
                problems.Add($"{key}: must be an array of strings, got '{node.Value}'");
            else if (node.GetChildren().Any(c => c.Value is null))
                problems.Add($"{key}: must be an array of strings");
            return;
        }
        if (node.Value is null)
        {
            problems.Add($"{key}: must be {Describe(type)}, got an object or array");
            return;
        }
        var target = Nullable.GetUnderlyingType(type) ?? type;
        if (target == typeof(string))
            return;
        var ok =
            target == typeof(int)
                ? int.TryParse(node.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out _)
                : target == typeof(bool) && bool.TryParse(node.Value, out _);
        if (!ok)
            problems.Add($"{key}: must be {Describe(type)}, got '{node.Value}'");
    }

    private static string Describe(Type t) =>
        (Nullable.GetUnderlyingType(t) ?? t) switch
        {
            var x when x == typeof(int) => "an integer",
            var x when x == typeof(bool) => "true or false",
            var x when x == typeof(string) => "a string",
            _ => "an array of strings",
        };

    /// <summary>A settings class's keys as the file spells them (camelCase property names).</summary>
    private static IReadOnlyList<string> KeysOf(Type t) =>
        [
            .. t.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .Where(p => p.CanWrite)
                .Select(p => char.ToLowerInvariant(p.Name[0]) + p.Name[1..]),
        ];

    private static bool IsQueueName(string q) =>
        q.Length > 0 && q.All(ch => ch is >= 'a' and <= 'z' or >= '0' and <= '9' or '_' or '-');

    private static void Validate(HostSettings s, ICollection<string> problems)
    {
        void Check(bool ok, string key, string message)
        {
            if (!ok)
                problems.Add($"{key}: {message}");
        }
        var fields = s.Schedule.Cron.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        Check(fields is 5 or 6, "schedule.cron", $"must have 5 or 6 fields, got '{s.Schedule.Cron}'");
        Check(
            StorageSettings.Kinds.Contains(s.Storage.Kind),
            "storage.kind",
            $"must be {string.Join(" or ", StorageSettings.Kinds)}, got '{s.Storage.Kind}'"
                + (
                    ConfigBinding.nearestName(StorageSettings.Kinds, s.Storage.Kind) is { } n
                        ? $" (did you mean '{n.Value}'?)"
                        : ""
                )
        );
        Check(s.Storage.ConnectionStringEnv != "", "storage.connectionStringEnv", "must not be empty");
        Check(
            s.Storage.Schema != "" && s.Storage.Schema.All(ch => char.IsAsciiLetterOrDigit(ch) || ch == '_'),
            "storage.schema",
            $"must be letters, digits or '_', got '{s.Storage.Schema}'"
        );
        Check(
            s.Storage.InvisibilityTimeoutSeconds >= 5,
            "storage.invisibilityTimeoutSeconds",
            $"must be >= 5, got {s.Storage.InvisibilityTimeoutSeconds}"
        );
        Check(s.Storage.QueuePollMs >= 50, "storage.queuePollMs", $"must be >= 50, got {s.Storage.QueuePollMs}");
        Check(s.Jobs.Workers > 0, "jobs.workers", $"must be > 0, got {s.Jobs.Workers}");
        Check(s.Jobs.Retries >= 0, "jobs.retries", $"must be >= 0, got {s.Jobs.Retries}");
        Check(
            s.Jobs.Queues.Count > 0 && s.Jobs.Queues.All(IsQueueName),
            "jobs.queues",
            $"must be a non-empty list of lower-case names (a-z, 0-9, '_', '-'), got [{string.Join(", ", s.Jobs.Queues)}]"
        );
        foreach (var (stage, p) in s.Jobs.Stages)
        {
            if (p.Retries is { } r)
                Check(r >= 0, $"jobs.stages.{stage}.retries", $"must be >= 0, got {r}");
            Check(
                p.BackoffSeconds >= 0,
                $"jobs.stages.{stage}.backoffSeconds",
                $"must be >= 0, got {p.BackoffSeconds}"
            );
            Check(
                IsQueueName(p.Queue),
                $"jobs.stages.{stage}.queue",
                $"must be a lower-case name (a-z, 0-9, '_', '-'), got '{p.Queue}'"
            );
        }
        Check(s.Jobs.ScoreShards > 0, "jobs.scoreShards", $"must be > 0, got {s.Jobs.ScoreShards}");
        Check(
            s.Jobs.BackfillConcurrency > 0,
            "jobs.backfillConcurrency",
            $"must be > 0, got {s.Jobs.BackfillConcurrency}"
        );
        Check(s.Jobs.TestShardDelayMs >= 0, "jobs.testShardDelayMs", $"must be >= 0, got {s.Jobs.TestShardDelayMs}");
        Check(s.Dashboard.PasswordEnv != "", "dashboard.passwordEnv", "must not be empty");
        var metrics = s.Dashboard.MetricsPath;
        Check(
            metrics == ""
                || metrics.Length > 1
                    && metrics[0] == '/'
                    && metrics.Skip(1).All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '/' or '_' or '-' or '.')
                    && !metrics.TrimEnd('/').Equals("/hangfire", StringComparison.OrdinalIgnoreCase)
                    && !metrics.StartsWith("/hangfire/", StringComparison.OrdinalIgnoreCase),
            "dashboard.metricsPath",
            $"must be \"\" (no metrics endpoint) or a path such as /metrics (letters, digits, '/', '_', '-', '.'), outside /hangfire, got '{metrics}'"
        );
    }
}

/// <summary>schedule: the nightly run's recurring job.</summary>
public sealed class ScheduleSettings
{
    /// <summary>Cron expression (5 or 6 fields) of the nightly run.</summary>
    public string Cron { get; set; } = "0 2 * * *";

    /// <summary>Time zone the cron expression and the run date are read in.</summary>
    public string TimeZone { get; set; } = "UTC";
}

/// <summary>storage: where Hangfire keeps its jobs.</summary>
public sealed class StorageSettings
{
    /// <summary>The storage kinds: memory (embedded default) and postgresql (several hosts share the work).</summary>
    public static readonly IReadOnlyList<string> Kinds = ["memory", "postgresql"];

    /// <summary>memory | postgresql.</summary>
    public string Kind { get; set; } = "memory";

    /// <summary>Name of the environment variable holding the PostgreSQL connection string.</summary>
    public string ConnectionStringEnv { get; set; } = "BATCHREC_PG";

    /// <summary>A file (outside the repository) holding the connection string, read when the variable is unset; "" = none.</summary>
    public string ConnectionStringFile { get; set; } = "";

    public string Schema { get; set; } = "batchrec";

    /// <summary>
    /// Seconds after which a job fetched by a worker that stopped refreshing it (a dead process) is given to another
    /// worker. The timeout slides: a live worker keeps refreshing it, so long stages are not re-queued.
    /// </summary>
    public int InvisibilityTimeoutSeconds { get; set; } = 300;

    /// <summary>How often idle workers poll the queues, in milliseconds.</summary>
    public int QueuePollMs { get; set; } = 1000;
}

/// <summary>jobs: this host's workers and the stages' retry policy.</summary>
public sealed class JobsSettings
{
    public int Workers { get; set; } = 2;

    /// <summary>Automatic retries per stage (the default of every stage's policy).</summary>
    public int Retries { get; set; }

    /// <summary>Queues this host's workers listen to, in priority order (e.g. ["gpu", "default"] on a GPU host).</summary>
    public List<string> Queues { get; set; } = ["default"];

    /// <summary>Per-stage policy, keyed by stage name (ingest, train, evaluate, score, publish).</summary>
    public Dictionary<string, StagePolicySettings> Stages { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Scoring is split into this many user shards, each a job any worker may take.</summary>
    public int ScoreShards { get; set; } = 4;

    /// <summary>Runs of one dataset a backfill keeps in flight at once.</summary>
    public int BackfillConcurrency { get; set; } = 2;

    /// <summary>
    /// TEST HOOK: each scoring shard waits this many milliseconds before writing (0 in production). It makes "a process
    /// dies in the middle of a shard" reproducible in tests.
    /// </summary>
    public int TestShardDelayMs { get; set; }
}

/// <summary>jobs.stages.STAGE: one stage's retry policy and queue; no retries = <c>jobs.retries</c>.</summary>
public sealed class StagePolicySettings
{
    public int? Retries { get; set; }
    public int BackoffSeconds { get; set; } = 30;
    public string Queue { get; set; } = "default";
}

/// <summary>dashboard: who may use it and what they may do.</summary>
public sealed class DashboardSettings
{
    /// <summary>Read-only dashboard: no reruns, deletes or requeues from the UI.</summary>
    public bool ReadOnly { get; set; }

    /// <summary>Basic-auth user required when the dashboard listens on a non-loopback address; "" = none.</summary>
    public string Username { get; set; } = "";

    /// <summary>Environment variable holding that user's password (never the password itself).</summary>
    public string PasswordEnv { get; set; } = "BATCHREC_DASHBOARD_PASSWORD";

    /// <summary>
    /// Path of the Prometheus scraping endpoint on the dashboard's listener, behind the same access rule; "" = no
    /// metrics endpoint.
    /// </summary>
    public string MetricsPath { get; set; } = "/metrics";
}
