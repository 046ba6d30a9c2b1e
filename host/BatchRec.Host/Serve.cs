using BatchRec.Jobs.Configuration;
using BatchRec.Jobs.Orchestration;
using Hangfire;
using Serilog;

namespace BatchRec.Host;

/// <summary>The long-running host: Hangfire server and dashboard, with the config's nightly recurring run.</summary>
public static class Serve
{
    public static async Task RunAsync(LoadedConfig config, string urls, CancellationToken ct)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Host.UseSerilog(Log.Logger, dispose: false);
        builder.WebHost.UseUrls(urls);
        builder.Services.AddBatchRec(config);
        var app = builder.Build();
        // The dashboard answers local requests only (Hangfire's default authorization).
        app.UseHangfireDashboard("/hangfire", new DashboardOptions { DashboardTitle = $"BatchRec · {config.DatasetName}" });
        app.MapGet("/", () => Results.Redirect("/hangfire"));
        var recurring = app.Services.GetRequiredService<IRecurringJobManager>();
        var zone = TimeZoneInfo.FindSystemTimeZoneById(config.Config.Schedule.TimeZone);
        var path = config.FilePath;
        recurring.AddOrUpdate<NightlyJob>($"nightly:{config.DatasetName}", j => j.Start(path), config.Config.Schedule.Cron,
            new RecurringJobOptions { TimeZone = zone });
        Log.Information("Serving the Hangfire dashboard on {Urls}/hangfire; nightly run of {Dataset} at '{Cron}' ({Zone})",
            urls, config.DatasetName, config.Config.Schedule.Cron, zone.Id);
        await app.RunAsync(ct);
    }
}
