using BatchRec.Host.Dashboard;
using BatchRec.Jobs.Configuration;
using BatchRec.Jobs.Orchestration;
using BatchRec.Jobs.Runs;
using Hangfire;
using OpenTelemetry.Metrics;
using Serilog;

namespace BatchRec.Host;

/// <summary>
/// The long-running host: a Hangfire server (workers on the configured queues) and the dashboard, with the config's
/// nightly recurring run. Several hosts pointed at one PostgreSQL database share the work. The pipeline's metrics
/// (<see cref="PipelineMetrics"/>) and the runtime's and ASP.NET Core's own meters are exported with OpenTelemetry on a
/// Prometheus scraping endpoint (dashboard.metricsPath) on the same listener, behind the dashboard's access rule.
/// </summary>
public static class Serve
{
    public static async Task RunAsync(LoadedConfig config, string urls, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(config);
        var access = DashboardAccess.Rule(config, urls); // refuses a non-loopback dashboard without credentials
        var metricsPath = config.Host.Dashboard.MetricsPath;
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
        if (metricsPath != "")
            builder
                .Services.AddOpenTelemetry()
                .WithMetrics(m =>
                    m.AddMeter(
                            PipelineMetrics.MeterName,
                            // built into .NET: GC, thread pool, exceptions; HTTP requests and connections
                            "System.Runtime",
                            "Microsoft.AspNetCore.Hosting",
                            "Microsoft.AspNetCore.Server.Kestrel"
                        )
                        .AddPrometheusExporter()
                );
        DashboardCommands.Register();
        var app = builder.Build();
        var readOnly = config.Host.Dashboard.ReadOnly;
        app.UseHangfireDashboard(
            "/hangfire",
            new DashboardOptions
            {
                DashboardTitle = $"BatchRec · {config.DatasetName}",
                Authorization = [new AccessRuleFilter(access)],
                IsReadOnlyFunc = _ => readOnly,
            }
        );
        app.MapGet("/", () => Results.Redirect("/hangfire"));
        if (metricsPath != "")
            app.MapPrometheusScrapingEndpoint(
                metricsPath,
                meterProvider: null,
                configureBranchedPipeline: scrape =>
                    scrape.Use(
                        async (http, next) =>
                        {
                            if (access.Allows(http))
                                await next(http);
                            else // 401 asks for the credentials; local-only has none to ask for
                                http.Response.StatusCode = access.RequiresCredentials
                                    ? StatusCodes.Status401Unauthorized
                                    : StatusCodes.Status403Forbidden;
                        }
                    ),
                optionsName: null
            );
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
            "Serving the Hangfire dashboard on {Urls}/hangfire ({Access}{ReadOnly}){Metrics}; workers {Workers} on queues {Queues}; nightly run of {Dataset} at '{Cron}' ({Zone})",
            urls,
            access.RequiresCredentials ? "basic authentication" : "local requests only",
            readOnly ? ", read-only" : "",
            metricsPath != "" ? $", Prometheus metrics on {metricsPath}" : "",
            config.Host.Jobs.Workers,
            config.Host.Jobs.Queues,
            config.DatasetName,
            config.Host.Schedule.Cron,
            zone.Id
        );
        await app.RunAsync(ct);
    }
}
