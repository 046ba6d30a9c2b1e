using BatchRec.Jobs.Configuration;
using BatchRec.Jobs.Stages;
using Hangfire;
using Hangfire.InMemory;
using Hangfire.PostgreSql;
using Microsoft.Extensions.DependencyInjection;
using Serilog;

namespace BatchRec.Jobs.Orchestration;

/// <summary>Registers Hangfire (storage chosen by config), its server and BatchRec's jobs in a service collection.</summary>
public static class HangfireSetup
{
    public static IServiceCollection AddBatchRec(this IServiceCollection services, LoadedConfig config, bool server = true)
    {
        var cfg = config.Config;
        ReplaceRetryFilter(cfg.Jobs.Retries);
        services.AddHangfire(c =>
        {
            c.SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
             .UseSimpleAssemblyNameTypeSerializer()
             .UseRecommendedSerializerSettings();
            switch (cfg.Storage.Kind)
            {
                case "memory":
                    c.UseInMemoryStorage(new InMemoryStorageOptions());
                    break;
                case "postgresql":
                    var env = cfg.Storage.ConnectionStringEnv;
                    var cs = Environment.GetEnvironmentVariable(env);
                    if (string.IsNullOrWhiteSpace(cs))
                        throw new ConfigException($"storage.kind is 'postgresql' but the environment variable '{env}' (storage.connectionStringEnv) is not set.");
                    c.UsePostgreSqlStorage(o => o.UseNpgsqlConnection(cs), new PostgreSqlStorageOptions { SchemaName = cfg.Storage.Schema, PrepareSchemaIfNecessary = true });
                    break;
                default:
                    throw new ConfigException($"storage.kind '{cfg.Storage.Kind}' is not supported.");
            }
        });
        if (server)
            services.AddHangfireServer(o =>
            {
                o.WorkerCount = cfg.Jobs.Workers;
                o.Queues = ["default"];
                o.SchedulePollingInterval = TimeSpan.FromSeconds(1);
                o.ServerName = $"{Environment.MachineName}:{Environment.ProcessId}";
            });
        services.AddSingleton(_ => Log.Logger);
        services.AddTransient<IngestJob>();
        services.AddTransient<TrainJob>();
        services.AddTransient<EvaluateJob>();
        services.AddTransient<ScoreJob>();
        services.AddTransient<PublishJob>();
        services.AddTransient<NightlyJob>();
        services.AddSingleton<RunLauncher>();
        return services;
    }

    /// <summary>Hangfire's default retries a failed job 10 times over hours; BatchRec uses the configured count.</summary>
    private static void ReplaceRetryFilter(int attempts)
    {
        foreach (var f in GlobalJobFilters.Filters.Where(f => f.Instance is AutomaticRetryAttribute).ToList())
            GlobalJobFilters.Filters.Remove(f.Instance);
        GlobalJobFilters.Filters.Add(new AutomaticRetryAttribute { Attempts = attempts, DelaysInSeconds = [30, 120, 600], OnAttemptsExceeded = AttemptsExceededAction.Fail });
    }
}
