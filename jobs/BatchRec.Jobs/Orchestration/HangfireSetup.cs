using BatchRec.Jobs.Configuration;
using BatchRec.Jobs.Stages;
using Hangfire;
using Hangfire.InMemory;
using Hangfire.PostgreSql;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Serilog;

namespace BatchRec.Jobs.Orchestration;

/// <summary>The job storage cannot be reached; the message names host, port and database, never the password.</summary>
public sealed class StorageUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Registers Hangfire (storage chosen by config), its server and BatchRec's jobs in a service collection.</summary>
public static class HangfireSetup
{
    public static IServiceCollection AddBatchRec(
        this IServiceCollection services,
        LoadedConfig config,
        bool server = true
    )
    {
        ArgumentNullException.ThrowIfNull(config);
        var cfg = config.Config;
        UseBatchRecFilters();
        var storage = CreateStorage(config);
        services.AddHangfire(c =>
            c.SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
                .UseSimpleAssemblyNameTypeSerializer()
                .UseRecommendedSerializerSettings()
                .UseStorage(storage)
        );
        if (server)
            services.AddHangfireServer(o =>
            {
                o.WorkerCount = config.Host.Jobs.Workers;
                o.Queues = [.. config.Host.Jobs.Queues];
                o.SchedulePollingInterval = TimeSpan.FromSeconds(1);
                o.ServerName = $"{Environment.MachineName}:{Environment.ProcessId}";
            });
        services.AddSingleton(_ => Log.Logger);
        foreach (var type in StageRegistry.Chain.SelectMany(s => s.JobTypes))
            services.AddTransient(type);
        services.AddTransient<NightlyJob>();
        services.AddTransient<BackfillJob>();
        services.AddSingleton<RunLauncher>();
        return services;
    }

    /// <summary>
    /// The configured job storage. PostgreSQL: the connection string comes from the environment variable
    /// <c>storage.connectionStringEnv</c>, else from the file <c>storage.connectionStringFile</c>; the database is
    /// checked before anything starts, and BatchRec's tables live in <c>storage.schema</c>. The invisibility timeout
    /// slides (a live worker keeps its job), so only a job whose process died is handed to another worker.
    /// </summary>
    public static JobStorage CreateStorage(LoadedConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var s = config.Host.Storage;
        switch (s.Kind)
        {
            case "memory":
                return new InMemoryStorage(new InMemoryStorageOptions());
            case "postgresql":
                var cs = ConnectionString(config);
                CheckReachable(cs, s.Schema);
                var options = new PostgreSqlStorageOptions
                {
                    SchemaName = s.Schema,
                    PrepareSchemaIfNecessary = true,
                    InvisibilityTimeout = TimeSpan.FromSeconds(s.InvisibilityTimeoutSeconds),
                    UseSlidingInvisibilityTimeout = true,
                    QueuePollInterval = TimeSpan.FromMilliseconds(s.QueuePollMs),
                    DistributedLockTimeout = TimeSpan.FromMinutes(1),
                };
                return new PostgreSqlStorage(
                    new Hangfire.PostgreSql.Factories.NpgsqlConnectionFactory(cs, options, null),
                    options
                );
            default:
                throw new ConfigException($"storage.kind '{s.Kind}' is not supported.");
        }
    }

    /// <summary>The PostgreSQL connection string: the environment variable, else the file; a clear error when neither is set.</summary>
    public static string ConnectionString(LoadedConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var s = config.Host.Storage;
        var fromEnv = Environment.GetEnvironmentVariable(s.ConnectionStringEnv);
        if (!string.IsNullOrWhiteSpace(fromEnv))
            return fromEnv.Trim();
        if (s.ConnectionStringFile != "")
        {
            var path = Path.GetFullPath(s.ConnectionStringFile, Path.GetDirectoryName(config.FilePath)!);
            if (!File.Exists(path))
                throw new ConfigException(
                    $"storage.connectionStringFile '{path}' does not exist (and the environment variable '{s.ConnectionStringEnv}' is not set)."
                );
            var text = File.ReadAllText(path).Trim();
            if (text == "")
                throw new ConfigException($"storage.connectionStringFile '{path}' is empty.");
            return text;
        }
        throw new ConfigException(
            $"storage.kind is 'postgresql' but the environment variable '{s.ConnectionStringEnv}' (storage.connectionStringEnv) is not set and no storage.connectionStringFile is configured."
        );
    }

    /// <summary>Opens one connection; on failure says which server and database, without the password.</summary>
    public static void CheckReachable(string connectionString, string schema)
    {
        NpgsqlConnectionStringBuilder b;
        try
        {
            b = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException e)
        {
            throw new ConfigException($"The PostgreSQL connection string is malformed: {e.Message}");
        }
        var where = $"host '{b.Host}', port {b.Port}, database '{b.Database}', user '{b.Username}'";
        try
        {
            using var c = new NpgsqlConnection(connectionString);
            c.Open();
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            // the inner exception is kept for the log's stack trace; Npgsql's messages do not contain the password
            throw new StorageUnavailableException(
                $"The PostgreSQL job storage is unreachable ({where}, schema '{schema}'): {e.Message}",
                e
            );
        }
    }

    /// <summary>
    /// Hangfire's default retries a failed job 10 times over hours. BatchRec's stages retry by their own policy
    /// (<see cref="StagePolicyFilter"/>), so the global default is "no retry"; the stage filter runs after the
    /// jobs' attribute filters so its queue wins.
    /// </summary>
    public static void UseBatchRecFilters()
    {
        // GlobalJobFilters is a process-wide list that is not thread-safe: several clients or servers set up at once
        // (the tests do; so may a host that starts its server while a dashboard trigger builds a client) must not
        // enumerate it while another one edits it.
        lock (FiltersLock)
        {
            foreach (
                var f in GlobalJobFilters
                    .Filters.Where(f => f.Instance is AutomaticRetryAttribute or StagePolicyFilter)
                    .ToList()
            )
                GlobalJobFilters.Filters.Remove(f.Instance);
            GlobalJobFilters.Filters.Add(
                new AutomaticRetryAttribute { Attempts = 0, OnAttemptsExceeded = AttemptsExceededAction.Fail }
            );
            GlobalJobFilters.Filters.Add(new StagePolicyFilter(Log.Logger), 1000);
        }
    }

    private static readonly object FiltersLock = new();
}
