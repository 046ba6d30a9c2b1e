using BatchRec.Host.Dashboard;
using BatchRec.Jobs.Configuration;
using BatchRec.Jobs.Orchestration;
using Hangfire;
using Serilog;

namespace BatchRec.Host;

/// <summary>
/// The long-running host: a Hangfire server (workers on the configured queues) and the dashboard, with the config's
/// nightly recurring run. Several hosts pointed at one PostgreSQL database share the work.
/// </summary>
public static class Serve
{
    public static async Task RunAsync(LoadedConfig config, string urls, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(config);
        var filters = DashboardAccess.Filters(config, urls); // refuses a non-loopback dashboard without credentials
        var builder = WebApplication.CreateBuilder();
        builder.Host.UseSerilog(Log.Logger, dispose: false);
        builder.WebHost.UseUrls(urls);
        builder.Services.AddBatchRec(config);
        builder.Services.AddSingleton(sp => new DashboardState(
            config,
            sp.GetRequiredService<JobStorage>(),
            sp.GetRequiredService<RunLauncher>(),
            sp.GetRequiredService<IBackgroundJobClient>()
        ));
        DashboardCommands.Register();
        var app = builder.Build();
        var readOnly = config.Host.Dashboard.ReadOnly;
        app.UseHangfireDashboard(
            "/hangfire",
            new DashboardOptions
            {
                DashboardTitle = $"BatchRec · {config.DatasetName}",
                Authorization = filters,
                IsReadOnlyFunc = _ => readOnly,
            }
        );
        app.MapGet("/", () => Results.Redirect("/hangfire"));
        var recurring = app.Services.GetRequiredService<IRecurringJobManager>();
        var zone = TimeZoneInfo.FindSystemTimeZoneById(config.Host.Schedule.TimeZone);
        var path = config.FilePath;
        string[] sets = [.. config.Sets];
        recurring.AddOrUpdate<NightlyJob>(
            $"nightly:{config.DatasetName}",
            j => j.Start(path, sets),
            config.Host.Schedule.Cron,
            new RecurringJobOptions { TimeZone = zone }
        );
        Log.Information(
            "Serving the Hangfire dashboard on {Urls}/hangfire ({Access}{ReadOnly}); workers {Workers} on queues {Queues}; nightly run of {Dataset} at '{Cron}' ({Zone})",
            urls,
            config.Host.Dashboard.Username != "" ? "basic authentication" : "local requests only",
            readOnly ? ", read-only" : "",
            config.Host.Jobs.Workers,
            config.Host.Jobs.Queues,
            config.DatasetName,
            config.Host.Schedule.Cron,
            zone.Id
        );
        await app.RunAsync(ct);
    }
}
